using System.CodeDom.Compiler;
using System.Reflection;
using System.Runtime.Loader;
using PlProxy.Client.Language;
using PlProxy.Client.Planning;
using PlProxy.Client.Proxies;
using PlProxy.Client.Tool.Verbs;

namespace PlProxy.Client.Tool.Security;

/// <summary>
/// The partition functions of a cluster configured in the application (no proxy database to read): from the
/// application's assembly — the proxies its PlProxy.Client generator emitted, each method's TARGET (or name) and
/// argument types — or from a list given on the command line.
/// </summary>
internal static class ApplicationFunctions
{
    /// <summary>Each <c>name(type, ...)</c> as given.</summary>
    public static List<PublishedFunction> FromList(IEnumerable<string> signatures) =>
        [.. signatures.Select(s =>
        {
            int open = s.IndexOf('(', StringComparison.Ordinal);
            if (open <= 0 || !s.EndsWith(')'))
            {
                throw ToolRefusal.BadInput($"--functions '{s}' is not name(type, ...).");
            }

            string[] types = s[(open + 1)..^1].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
            return new PublishedFunction($"--functions {s}", s[..open].Trim(), types);
        })];

    /// <summary>
    /// The functions the generated proxies of <paramref name="path"/> call for <paramref name="cluster"/> (methods whose
    /// CLUSTER names it), and the methods that cannot be covered by EXECUTE (a SELECT body).
    /// </summary>
    public static (List<PublishedFunction> Functions, List<string> Skipped) FromAssembly(string path, string cluster)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw ToolRefusal.BadInput($"--assembly {path} does not exist.");
        }

        // PlProxy.Client is the tool's own (so its types are the ones read here); the rest from the assembly's folder.
        var context = new AssemblyLoadContext("plproxy-grant", isCollectible: true);
        context.Resolving += (loader, name) =>
            name.Name == typeof(ProxyMethod).Assembly.GetName().Name ? typeof(ProxyMethod).Assembly
            : File.Exists(Path.Combine(Path.GetDirectoryName(full)!, name.Name + ".dll")) ? loader.LoadFromAssemblyPath(Path.Combine(Path.GetDirectoryName(full)!, name.Name + ".dll"))
            : null;
        try
        {
            Assembly assembly = context.LoadFromAssemblyPath(full);
            var functions = new List<PublishedFunction>();
            var skipped = new List<string>();
            foreach (Type type in Types(assembly).Where(t => t.GetCustomAttribute<GeneratedCodeAttribute>()?.Tool == "PlProxy.Client.Generators"))
            {
                foreach (FieldInfo field in type.GetFields(BindingFlags.Static | BindingFlags.NonPublic | BindingFlags.Public).Where(f => f.FieldType == typeof(ProxyMethod)))
                {
                    RemoteCall call = ((ProxyMethod)field.GetValue(null)!).Call;
                    BoundFunction function = call.Function;
                    if (function.Location != LocationKind.ClusterName || function.ClusterName != cluster)
                    {
                        continue;
                    }

                    string method = $"{type.GetInterfaces().FirstOrDefault()?.FullName ?? type.FullName}.{field.Name.TrimStart('s', '_')}";
                    if (function.Select is not null)
                    {
                        skipped.Add(PublishedFunction.NotGrantable(method));
                        continue;
                    }

                    functions.Add(new PublishedFunction(method, function.Target ?? call.Name, call.ParameterTypes));
                }
            }

            return (functions, skipped);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException or TypeInitializationException or ReflectionTypeLoadException)
        {
            throw ToolRefusal.BadInput($"--assembly {path} cannot be read: {e.Message}", e);
        }
        finally
        {
            context.Unload();
        }
    }

    private static IEnumerable<Type> Types(Assembly assembly)
    {
        try
        {
            return assembly.GetTypes();
        }
        catch (ReflectionTypeLoadException e)
        {
            return e.Types.OfType<Type>();
        }
    }
}
