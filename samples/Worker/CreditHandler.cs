using System.Globalization;
using PlProxy.Client.PgQ;

namespace Worker;

/// <summary>
/// Applies each <c>credit</c> event of the queue on its user's partition: the event's data is the user, <c>extra1</c>
/// the amount, <c>extra2</c> the credit's id (which makes a redelivery harmless). Other event types are skipped.
/// </summary>
public sealed class CreditHandler(ILedger ledger, ILogger<CreditHandler> logger) : IPgQEventHandler
{
    public async Task HandleAsync(PgQBatch batch, PgQBatchEvent @event, CancellationToken cancellationToken)
    {
        if (@event.Type != "credit")
        {
            return;
        }

        decimal amount = decimal.Parse(@event.Extra1 ?? throw new FormatException($"Event {@event.Id} has no amount (extra1)."), CultureInfo.InvariantCulture);
        string id = @event.Extra2 ?? throw new FormatException($"Event {@event.Id} has no credit id (extra2).");
        bool applied = await ledger.CreditAsync(@event.Data ?? "", amount, id, cancellationToken);
        if (!applied)
        {
            logger.LogInformation("Credit {CreditId} was applied before; event {EventId} changes nothing", id, @event.Id);
        }
    }
}
