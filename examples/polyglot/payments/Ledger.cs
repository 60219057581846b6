namespace Anops.Payments;

public record Charge(string Customer, long Cents);

public static class Ledger
{
    private static readonly List<string> Entries = new();

    public static string Record(Charge charge, string currency)
    {
        var id = $"ch_{Entries.Count + 1}";
        Entries.Add($"{id} {charge.Customer} {charge.Cents} {currency}");
        return id;
    }
}
