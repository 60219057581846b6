fun main() {
    println("exporting the nightly report")
}
