namespace Shop.Api.Tests;

[TestClass]
public class PriceTests
{
    [TestMethod]
    [DataRow(100, 90)]
    [DataRow(50, 40)]
    public void Discounts(int price, int expected) => Assert.AreEqual(expected, Price.Discount(price));

    [TestMethod, Timeout(100)]
    public void ConvertsCurrency() => Price.Convert(10, "EUR");

    [TestMethod]
    public void RoundsHalfEven() => Assert.Inconclusive("rounding rule not decided");
}
