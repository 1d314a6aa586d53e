using System.Diagnostics;

namespace Portico.Bench;

/// CPU time and memory of processes, read from /proc (Linux).
static class ProcStat
{
    public static readonly long TicksPerSecond = ClockTicks();

    static long ClockTicks()
    {
        using var getconf = Process.Start(new ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
        var text = getconf.StandardOutput.ReadToEnd();
        getconf.WaitForExit();
        return long.Parse(text.Trim());
    }

    /// utime + stime of every pid, all threads included, in clock ticks.
    public static long CpuTicks(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            string text;
            try { text = File.ReadAllText($"/proc/{pid}/stat"); }
            catch (IOException) { continue; }
            // "pid (comm) state ..." where comm may hold spaces: fields are counted after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            total += long.Parse(fields[11]) + long.Parse(fields[12]);
        }
        return total;
    }

    /// Resident set size of every pid summed, in bytes.
    public static long RssBytes(IEnumerable<int> pids)
    {
        long total = 0;
        foreach (var pid in pids)
        {
            try
            {
                foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                {
                    if (!line.StartsWith("VmRSS:", StringComparison.Ordinal)) continue;
                    total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
                    break;
                }
            }
            catch (IOException) { }
        }
        return total;
    }

    /// The pid and its direct children (nginx: the master and its workers).
    public static IReadOnlyList<int> WithChildren(int pid)
    {
        var all = new List<int> { pid };
        try
        {
            foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                var children = File.ReadAllText(Path.Combine(task, "children"));
                all.AddRange(children.Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse));
            }
        }
        catch (IOException) { }
        return all.Distinct().ToList();
    }
}
