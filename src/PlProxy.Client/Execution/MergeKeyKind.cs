namespace PlProxy.Client.Execution;

/// <summary>How a merge key's values compare, chosen from the column's PostgreSQL type: each as PostgreSQL orders it.</summary>
internal enum MergeKeyKind
{
    Int16,
    Int32,
    Int64,
    Numeric,
    Float4,
    Float8,
    Boolean,
    Uuid,
    Bytea,
    Date,
    Timestamp,
    TimestampTz,
    Time,
    Interval,
    Text,
    Bpchar,
    Enum,
}
