using System.Reflection;
using System.Reflection.Emit;

namespace PlProxy.Client.Tests.Architecture;

/// <summary>
/// Which of an assembly's own types each of its types uses: in its signatures (base type, interfaces, fields,
/// properties, method parameters and results, generic arguments) and in its method bodies (every type, method and
/// field token the IL names). Compiler-generated nested types (lambdas, async state machines) count for the type
/// that declares them.
/// </summary>
internal static class NamespaceReferences
{
    private const BindingFlags Everything =
        BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    private static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(o => o.Value);

    /// <summary>For each type of <paramref name="assembly"/> (outermost declaring type), the assembly's own types it uses.</summary>
    public static IReadOnlyDictionary<Type, HashSet<Type>> Of(Assembly assembly)
    {
        var uses = new Dictionary<Type, HashSet<Type>>();
        foreach (Type type in assembly.GetTypes())
        {
            Type owner = Outermost(type);
            if (!uses.TryGetValue(owner, out HashSet<Type>? used))
            {
                uses[owner] = used = [];
            }

            foreach (Type referenced in Referenced(type))
            {
                foreach (Type named in Flatten(referenced))
                {
                    if (named.Assembly == assembly && !named.IsGenericParameter)
                    {
                        used.Add(Outermost(named));
                    }
                }
            }
        }

        return uses;
    }

    private static Type Outermost(Type type)
    {
        while (type.DeclaringType is { } declaring)
        {
            type = declaring;
        }

        return type.IsGenericType ? type.GetGenericTypeDefinition() : type;
    }

    private static IEnumerable<Type> Flatten(Type type)
    {
        if (type.HasElementType)
        {
            foreach (Type element in Flatten(type.GetElementType()!))
            {
                yield return element;
            }

            yield break;
        }

        if (type.IsGenericType && !type.IsGenericTypeDefinition)
        {
            yield return type.GetGenericTypeDefinition();
            foreach (Type argument in type.GetGenericArguments())
            {
                foreach (Type inner in Flatten(argument))
                {
                    yield return inner;
                }
            }

            yield break;
        }

        yield return type;
    }

    private static IEnumerable<Type> Referenced(Type type)
    {
        if (type.BaseType is { } baseType)
        {
            yield return baseType;
        }

        foreach (Type implemented in type.GetInterfaces())
        {
            yield return implemented;
        }

        foreach (FieldInfo field in type.GetFields(Everything))
        {
            yield return field.FieldType;
        }

        foreach (PropertyInfo property in type.GetProperties(Everything))
        {
            yield return property.PropertyType;
        }

        foreach (MethodBase method in type.GetMethods(Everything).Cast<MethodBase>().Concat(type.GetConstructors(Everything)))
        {
            if (method is MethodInfo { ReturnType: var returnType })
            {
                yield return returnType;
            }

            foreach (ParameterInfo parameter in method.GetParameters())
            {
                yield return parameter.ParameterType;
            }

            foreach (Type inBody in InBody(method))
            {
                yield return inBody;
            }
        }
    }

    // Walks the IL one instruction at a time and resolves every metadata token an instruction carries.
    private static IEnumerable<Type> InBody(MethodBase method)
    {
        byte[]? il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        Type[]? typeArguments = method.DeclaringType is { IsGenericType: true } declaring ? declaring.GetGenericArguments() : null;
        Type[]? methodArguments = method.IsGenericMethod ? method.GetGenericArguments() : null;
        Module module = method.Module;
        int position = 0;
        while (position < il.Length)
        {
            short value = il[position] == 0xFE ? (short)(0xFE00 | il[position + 1]) : il[position];
            position += value > 0xFF || value < 0 ? 2 : 1;
            OpCode opCode = OpCodesByValue[value];
            switch (opCode.OperandType)
            {
                case OperandType.InlineNone:
                    break;
                case OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar:
                    position += 1;
                    break;
                case OperandType.InlineVar:
                    position += 2;
                    break;
                case OperandType.InlineI8 or OperandType.InlineR:
                    position += 8;
                    break;
                case OperandType.InlineSwitch:
                    int count = BitConverter.ToInt32(il, position);
                    position += 4 + (4 * count);
                    break;
                case OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok:
                    int token = BitConverter.ToInt32(il, position);
                    position += 4;
                    MemberInfo? member = module.ResolveMember(token, typeArguments, methodArguments);
                    switch (member)
                    {
                        case Type resolvedType:
                            yield return resolvedType;
                            break;
                        case MethodBase called:
                            yield return called.DeclaringType!;
                            if (called is MethodInfo { IsGenericMethod: true } generic)
                            {
                                foreach (Type argument in generic.GetGenericArguments())
                                {
                                    yield return argument;
                                }
                            }

                            break;
                        case FieldInfo field:
                            yield return field.DeclaringType!;
                            yield return field.FieldType;
                            break;
                    }

                    break;
                default: // InlineBrTarget, InlineI, InlineR4 (ShortInlineR), InlineString, InlineSig
                    position += 4;
                    break;
            }
        }
    }
}
