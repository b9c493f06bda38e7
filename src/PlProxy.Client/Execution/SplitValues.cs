using System.Collections;
using PlProxy.Client.Language;

namespace PlProxy.Client.Execution;

/// <summary>
/// Cuts a SPLIT argument to the elements one database receives, in order. The one place this happens, for generated
/// proxies (arrays) and bodies given as text (any list) alike: the planner counted the same elements through
/// <see cref="IList"/>, so whatever it split is cut here.
/// </summary>
internal static class SplitValues
{
    /// <summary>
    /// A call's arguments with every SPLIT argument cut to the elements <paramref name="rows"/> (the others as they are):
    /// what one database receives, or what a fence sends to be planned again.
    /// </summary>
    public static object?[] Arguments(BoundFunction function, object?[] arguments, int[] rows)
    {
        var values = new object?[arguments.Length];
        for (int index = 0; index < values.Length; index++)
        {
            object? value = arguments[index];
            values[index] = function.IsSplit(index) ? Cut(value, rows) : value;
        }

        return values;
    }

    /// <summary>
    /// The elements <paramref name="rows"/> of <paramref name="value"/>: an array of the same type for an array, an
    /// <c>object?[]</c> for any other list (sent with the parameter's declared type); NULL stays NULL.
    /// </summary>
    /// <exception cref="PlProxyException">The value is not a list (the planner refuses those before any I/O).</exception>
    public static object? Cut(object? value, int[] rows)
    {
        switch (value)
        {
            case null or DBNull:
                return value;

            case Array array:
                Array subset = SameTypeArray(array, rows.Length);
                for (int i = 0; i < rows.Length; i++)
                {
                    subset.SetValue(array.GetValue(rows[i]), i);
                }

                return subset;

            case IList list:
                object?[] elements = new object?[rows.Length];
                for (int i = 0; i < rows.Length; i++)
                {
                    elements[i] = list[rows[i]];
                }

                return elements;

            default:
                throw new PlProxyException($"a SPLIT argument is a {value.GetType().Name}, not an array or list");
        }
    }

    // An array of the same type as one that exists, so its code exists even under native AOT.
#if NET9_0_OR_GREATER
    private static Array SameTypeArray(Array array, int length) => Array.CreateInstanceFromArrayType(array.GetType(), length);
#else
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("AOT", "IL3050", Justification = "The array type exists: an instance of it is at hand (what .NET 9's CreateInstanceFromArrayType relies on).")]
    private static Array SameTypeArray(Array array, int length) => Array.CreateInstance(array.GetType().GetElementType()!, length);
#endif
}
