using Loadstone.LoadLab;

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    if (!cancel.IsCancellationRequested)
    {
        // First Ctrl+C: stop the run; the scenarios stop their processes on the way out.
        e.Cancel = true;
        Console.Error.WriteLine("Stopping (Ctrl+C again to kill at once)...");
        cancel.Cancel();
    }
    else
    {
        ChildProcesses.KillAll();
    }
};

return await Lab.RunAsync(args, Console.Out, cancel.Token);
