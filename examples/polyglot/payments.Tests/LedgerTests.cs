using Anops.Payments;
using Xunit;

public class LedgerTests
{
    [Fact]
    public void RecordsAnIdPerCharge()
    {
        var first = Ledger.Record(new Charge("c1", 100), "EUR");
        var second = Ledger.Record(new Charge("c2", 200), "EUR");
        Assert.NotEqual(first, second);
    }
}
