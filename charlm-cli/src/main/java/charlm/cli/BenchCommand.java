package charlm.cli;

import charlm.train.EpochStats;
import charlm.train.Trainer;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code charlm bench}: trains with no file output and reports the median tokens/s. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train for a few epochs with no file output and print, as the last line,",
                "'bench: <median> tokens/s' with the settings, JDK, kernel path and thread count."})
final class BenchCommand implements Callable<Integer> {

    @Mixin
    TrainingOptions options;

    @Option(names = "--epochs", defaultValue = "20", paramLabel = "N", description = "Epochs to time. Default: ${DEFAULT-VALUE}.")
    int epochs;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        options.validate(epochs);
        TrainingOptions.Split data = options.load();
        Engine engine = Engine.create(options.threads());
        PrintWriter w = spec.commandLine().getOut();
        try {
            Trainer trainer = options.start(data, engine, epochs).trainer();
            double[] speeds = new double[epochs];
            EpochStats last = trainer.run(s -> {
                speeds[s.epoch() - 1] = s.tokensPerSec();
                w.println(TrainCommand.line(s));
            });
            double median = TrainCommand.median(speeds);
            w.printf(Locale.ROOT, "bench: %.1f tokens/s (median of %d epochs; final perplexity %.3f) batch %d, steps %d, hiddens %d, vocab %d, "
                            + "sampling %s, %s%n", median, epochs, last.perplexity(), options.batchSize, options.numSteps, options.hiddens,
                    data.corpus().vocab().size(), options.sampling().cliName(), engine.describe());
        } finally {
            engine.workers().close();
        }
        return 0;
    }
}
