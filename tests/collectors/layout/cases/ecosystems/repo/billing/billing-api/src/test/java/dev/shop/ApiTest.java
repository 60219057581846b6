package dev.shop;

class ApiTest {}
