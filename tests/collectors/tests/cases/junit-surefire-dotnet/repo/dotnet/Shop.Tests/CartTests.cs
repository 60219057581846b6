namespace Shop.Tests;

public class CartTests
{
    [Fact] public void AddsItem() { }
    [Fact] public void RejectsNegativeQuantity() { }
    [Theory, InlineData(2, 20), InlineData(3, 30)] public void Totals(int quantity, int expected) { }
    [Fact(Skip = "needs the shipping sandbox")] public void ShipsAbroad() { }
}
