package charlm.cli;

import charlm.CharlmException;
import charlm.io.Checkpoint;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.run.RunDirectory;
import charlm.serve.Limits;
import charlm.serve.PlaygroundServer;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code charlm serve}: the playground page and its JSON API for a saved model, until stopped (Ctrl-C). */
@Command(name = "serve", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Serve a trained model on a local web page and a JSON API.",
                "Type a prefix and watch the text appear, turn the temperature, score a text; with --run also the run's perplexity "
                        + "curves. The JSON API beside the page: GET /api/model, POST /api/generate, POST /api/score "
                        + "(docs/serve.md). Runs until stopped (Ctrl-C)."})
final class ServeCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "FILE", description = "A model.safetensors written by charlm train or the reference.")
    Path model;

    @Option(names = "--run", paramLabel = "DIR", description = "A run folder of charlm train: serves its model.safetensors and shows the curves of its metrics.csv.")
    Path run;

    @Option(names = "--host", defaultValue = "127.0.0.1", paramLabel = "HOST",
            description = "Address to listen on. Anything but loopback lets other machines use the server (no authentication). Default: ${DEFAULT-VALUE}.")
    String host;

    @Option(names = "--port", defaultValue = "8080", paramLabel = "PORT", description = "Port to listen on; 0 picks any free port. Default: ${DEFAULT-VALUE}.")
    int port;

    @Option(names = "--max-in-flight", defaultValue = "" + Limits.DEFAULT_IN_FLIGHT, paramLabel = "N",
            description = "Generate and score requests served at once; the next one gets 503 with Retry-After. Default: ${DEFAULT-VALUE}.")
    int maxInFlight;

    @Spec
    CommandSpec spec;

    /** Counted down when the server should stop: by the shutdown hook on Ctrl-C. */
    private final CountDownLatch stop = new CountDownLatch(1);

    @Override
    public Integer call() {
        if ((model == null) == (run == null)) throw new CharlmException("give --model FILE or --run DIR (one of them)");
        if (port < 0 || port > 65535) throw new CharlmException("--port must be 0 (any free port) to 65535, got " + port);
        if (maxInFlight < 1 || maxInFlight > Limits.MAX_IN_FLIGHT) {
            throw new CharlmException("--max-in-flight must be 1 to " + Limits.MAX_IN_FLIGHT + ", got " + maxInFlight);
        }
        InetAddress address = address(host);
        Path file = model;
        List<EpochStats> history = List.of();
        List<Evaluation> scores = List.of();
        String note = "no run given: serve --run DIR to see a run's curves";
        if (run != null) {
            if (!Files.isDirectory(run)) throw new CharlmException("--run " + run + " is not a folder; give the folder a train run wrote to");
            file = run.resolve(RunDirectory.MODEL);
            if (!Files.isRegularFile(file)) {
                throw new CharlmException("--run " + run + " has no " + RunDirectory.MODEL + "; give a finished run, or one trained with --checkpoint-every K");
            }
            Path csv = run.resolve(RunDirectory.METRICS);
            if (Files.isRegularFile(csv)) {
                try {
                    history = RunDirectory.readMetrics(csv);
                } catch (IOException | RuntimeException e) {
                    throw new CharlmException("cannot read " + csv + " (" + e.getMessage() + "); the run folder is damaged");
                }
                note = "the run's " + history.size() + " epochs, from " + csv;
                Path steps = run.resolve(RunDirectory.STEPS);
                if (Files.isRegularFile(steps)) {
                    try {
                        scores = RunDirectory.readSteps(steps);
                    } catch (IOException | RuntimeException e) {
                        throw new CharlmException("cannot read " + steps + " (" + e.getMessage() + "); the run folder is damaged");
                    }
                    note += " and its " + scores.size() + " held-out scores, from " + steps;
                }
            } else {
                note = run + " has no " + RunDirectory.METRICS + ", so no curves";
            }
        }
        Checkpoint.Loaded loaded = Checkpoint.load(file, Kernels.get(), Workers.serial());
        PrintWriter out = spec.commandLine().getOut();
        try (PlaygroundServer server = PlaygroundServer.forModel(new InetSocketAddress(address, port), loaded, file.toString(), history, scores, note,
                Limits.standard(maxInFlight))) {
            Thread hook = new Thread(stop::countDown, "charlm-serve-stop");
            Runtime.getRuntime().addShutdownHook(hook);
            if (!address.isLoopbackAddress()) {
                out.println("charlm: listening on " + address.getHostAddress() + ": other machines can reach this server, and it has no authentication");
            }
            out.println("serving " + file + " at " + server.uri() + " (Ctrl-C to stop)");
            out.flush();
            try {
                stop.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt(); // an embedding caller stops us this way
            }
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException e) {
                // already shutting down
            }
        }
        return 0;
    }

    /** The address to listen on: an IP literal, localhost, or a name this machine resolves. */
    static InetAddress address(String host) {
        if (host.isBlank() || !host.matches("[A-Za-z0-9.:\\-\\[\\]%]+")) {
            throw new CharlmException("--host '" + host + "' is not a host name or address; give one such as 127.0.0.1");
        }
        try {
            return InetAddress.getByName(host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host);
        } catch (UnknownHostException e) {
            throw new CharlmException("--host " + host + " does not resolve to an address; give an address of this machine, such as 127.0.0.1");
        }
    }
}
