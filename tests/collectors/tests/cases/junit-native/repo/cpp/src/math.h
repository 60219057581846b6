#pragma once
int Add(int a, int b);
int Div(int a, int b);
