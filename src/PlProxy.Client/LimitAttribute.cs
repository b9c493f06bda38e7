namespace PlProxy.Client;

/// <summary>
/// Marks the integer parameter of a <see cref="MergeOrderAttribute"/> method that bounds the rows in total: it goes to
/// every partition's function (each returns at most that many), and the merge stops after that many rows and stops
/// what the partitions still have to send.
/// </summary>
[AttributeUsage(AttributeTargets.Parameter, AllowMultiple = false, Inherited = false)]
public sealed class LimitAttribute : Attribute;
