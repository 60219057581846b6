package com.acme.app

import org.junit.jupiter.api.Test
import org.junit.jupiter.params.ParameterizedTest
import org.junit.jupiter.params.provider.ValueSource

class GreeterTest {
    @Test
    fun greets() {}

    @ParameterizedTest
    @ValueSource(strings = ["ada", "grace"])
    fun greetsByName(name: String) {}

    @Test
    fun loadsTemplate() {
        error("template missing")
    }
}
