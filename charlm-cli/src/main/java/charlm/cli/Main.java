package charlm.cli;

import charlm.CharlmException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine;

/**
 * charlm's command line. Every user error becomes one line on stderr and exit code 2
 * (3 when training diverges), never a stack trace.
 */
@Command(name = "charlm", mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
        description = "A character-level recurrent language model from scratch: the 'RNN from scratch' chapter of Dive into Deep Learning, in Java.",
        subcommands = {TrainCommand.class, GenerateCommand.class, EvalCommand.class, BenchCommand.class, SweepCommand.class, ServeCommand.class,
                CommandLine.HelpCommand.class})
public final class Main implements Runnable {
    /** When the command line now running was started (System.nanoTime()): --time-limit counts the whole command. */
    private static volatile long started = System.nanoTime();

    static long started() {
        return started;
    }

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is required: train, generate, eval, bench, sweep or serve");
    }

    /**
     * The command line, also under spark-submit ({@code spark-submit --class charlm.cli.Main charlm-spark.jar sweep ...}),
     * where a sweep runs on the master spark-submit was given.
     */
    public static void main(String[] args) {
        System.setProperty("java.awt.headless", "true");
        int code = run(withSubmittedMaster(args, System.getProperty("spark.master")), new PrintWriter(System.out, true),
                new PrintWriter(System.err, true));
        StderrFilter.awaitLastLines();
        System.exit(code);
    }

    /** sweep with --spark MASTER added, when spark-submit set a master and the command names no way of its own to run. */
    static String[] withSubmittedMaster(String[] args, String master) {
        if (master == null || args.length == 0 || !args[0].equals("sweep")) return args;
        for (String a : args) {
            for (String own : List.of("--spark", "--list-trials", "--trial-index", "--collect", "--help", "-h", "--version", "-V")) {
                if (a.equals(own) || a.startsWith(own + "=")) return args;
            }
        }
        List<String> out = new ArrayList<>(Arrays.asList(args));
        out.add(1, master);
        out.add(1, "--spark");
        return out.toArray(String[]::new);
    }

    /** Runs a command line with the given streams; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        started = System.nanoTime();
        CommandLine cl = new CommandLine(new Main());
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommand() instanceof UsesSettings u) u.settingOptions().addTo(sub.getCommandSpec());
        }
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler((ex, a) -> {
            CommandLine c = ex.getCommandLine();
            err.println("charlm: " + ex.getMessage().strip() + "; see '" + c.getCommandSpec().qualifiedName() + " --help'");
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            Throwable t = ex;
            while (!(t instanceof CharlmException) && t.getCause() != null && t.getCause() != t) t = t.getCause();
            if (t instanceof CharlmException ce) {
                err.println("charlm: " + ce.getMessage());
                return ce.exitCode();
            }
            throw ex;
        });
        return cl.execute(args);
    }

    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"charlm " + (v == null ? "dev" : v) + " on Java " + Runtime.version()};
        }
    }
}
