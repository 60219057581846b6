using Anops.Payments;

var builder = WebApplication.CreateBuilder(args);
var currency = Environment.GetEnvironmentVariable("CURRENCY") ?? "EUR";
var app = builder.Build();

app.MapGet("/health", () => "ok");
app.MapPost("/charge", (Charge charge) =>
{
    if (charge.Cents <= 0)
    {
        return Results.BadRequest(new { error = "cents must be positive" });
    }
    Console.WriteLine($"charging {charge.Cents} {currency}");
    return Results.Ok(Ledger.Record(charge, currency));
});

app.Run();
