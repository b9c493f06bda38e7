using PlProxy.Client.Tool;

// plproxy <verb> [options]; plproxy --help lists the verbs, plproxy <verb> --help their options.
return await ToolCommandLine.InvokeAsync(args, Console.Out, Console.Error);
