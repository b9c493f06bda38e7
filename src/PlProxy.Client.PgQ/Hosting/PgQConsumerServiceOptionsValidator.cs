using Microsoft.Extensions.Options;

namespace PlProxy.Client.PgQ;

/// <summary>
/// Checks a hosted PgQ consumer's options at start, one sentence per failure naming the consumer's options name and
/// the setting (as the runtime's options validator does), so a misconfigured consumer fails the host before it runs.
/// </summary>
internal sealed class PgQConsumerServiceOptionsValidator : IValidateOptions<PgQConsumerServiceOptions>
{
    public ValidateOptionsResult Validate(string? name, PgQConsumerServiceOptions options)
    {
        var failures = new List<string>();
        string consumer = $"PgQ consumer '{name}'";
        if (string.IsNullOrWhiteSpace(options.ConnectionString))
        {
            failures.Add($"{consumer}: ConnectionString is required (the queue's database).");
        }

        if (string.IsNullOrWhiteSpace(options.Queue))
        {
            failures.Add($"{consumer}: Queue is required.");
        }

        if (string.IsNullOrWhiteSpace(options.Consumer))
        {
            failures.Add($"{consumer}: Consumer is required (the name PgQ registers it under).");
        }

        if (options.MaxRetries < 0)
        {
            failures.Add($"{consumer}: MaxRetries is {options.MaxRetries}; it cannot be negative.");
        }

        if (options.RetryDelay < TimeSpan.Zero)
        {
            failures.Add($"{consumer}: RetryDelay is {options.RetryDelay}; it cannot be negative.");
        }

        if (options.IdleDelay <= TimeSpan.Zero)
        {
            failures.Add($"{consumer}: IdleDelay is {options.IdleDelay}; it must be positive (the pause when no batch is ready).");
        }

        if (options.MaxBackoff <= TimeSpan.Zero)
        {
            failures.Add($"{consumer}: MaxBackoff is {options.MaxBackoff}; it must be positive.");
        }

        if (options.Batches.FetchSize < 1)
        {
            failures.Add($"{consumer}: Batches.FetchSize is {options.Batches.FetchSize}; it must be at least 1.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
