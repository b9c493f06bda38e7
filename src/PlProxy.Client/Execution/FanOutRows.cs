namespace PlProxy.Client.Execution;

/// <summary>
/// What a fan-out read: the rows of every target that answered, in plan order, and — for a SPLIT call some targets of
/// which a partconf fence refused — the elements those targets did not take (in the call's order) and the first fence.
/// </summary>
internal readonly record struct FanOutRows<T>(List<T> Rows, int[]? FencedElements, PlProxyException? Fence);
