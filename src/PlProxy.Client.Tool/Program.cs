using PlProxy.Client.Tool;

// plproxy <verb> [options]; plproxy --help lists the verbs, plproxy <verb> --help their options.
return await ToolCommandLine.Create().Parse(args).InvokeAsync();
