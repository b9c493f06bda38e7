using PlProxy.Client.Scaffold;

// plproxy-scaffold --connection "<connstr>" --output <dir> [--namespace N] ...
if (args.Contains("--help") || args.Length == 0)
{
    Console.WriteLine(ScaffoldOptions.Usage);
    return args.Length == 0 ? 1 : 0;
}

ScaffoldOptions options;
try
{
    options = ScaffoldOptions.Parse(args);
}
catch (ArgumentException e)
{
    Console.Error.WriteLine($"plproxy-scaffold: {e.Message} (--help lists the options)");
    return 1;
}

return await ScaffoldCommand.RunAsync(options, Console.Out, Console.Error, CancellationToken.None);
