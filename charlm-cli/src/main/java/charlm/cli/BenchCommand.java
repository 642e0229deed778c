package charlm.cli;

import charlm.data.Rng;
import charlm.kernels.Kernels;
import charlm.kernels.PhaseTimes;
import charlm.model.FlopCount;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.train.EpochStats;
import charlm.train.Trainer;
import charlm.train.TrainingSettings;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code charlm bench}: trains with no file output and reports the median tokens/s, and that rate in GFLOP/s against the peak. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Measure training speed: train a few epochs without writing files.",
                "The last line is 'bench: <median> tokens/s, <G> GFLOP/s = <share> of <peak>' with the settings, JDK, kernel path "
                        + "and thread count.",
                "GFLOP/s is tokens/s times the matrix work of one training token (forward, backward and weight gradients at 2 FLOP "
                        + "per multiply-add; for one-hot input RNN 6H^2 + 6HV, GRU 18H^2 + 6HV, LSTM 24H^2 + 6HV, each further LSTM "
                        + "layer 24H^2 + 24H^2 more, an embedding's first layer 6GEH more with G gates). The peak it is divided by is "
                        + "measured at start: every thread of the run's pool runs twelve independent chains of vector fused "
                        + "multiply-adds on registers, best of five rounds of about 60 ms. It is what the cores reach at the clock "
                        + "they run at then; on a busy machine it drops with the rate."})
final class BenchCommand implements Callable<Integer>, UsesSettings {

    private final SettingOptions settingOptions = new SettingOptions(SettingOptions.Form.SINGLE).withDefault(TrainingSettings.EPOCHS, 20);

    /** Epochs before this one are left out of --profile: the JIT is still compiling the kernels. */
    static final int PROFILE_FROM = 3;

    @Spec
    CommandSpec spec;

    @Option(names = "--profile", description = {"Before the last line, list where the training time went: the wall time of each "
            + "phase the worker pool runs (forward step, backward step, weight gradients, logits, optimizer update, ...), "
            + "in ms per epoch and as a share of the training time, from epoch " + PROFILE_FROM + " on (all epochs when there "
            + "are fewer), and what is left outside them. The same code with two clock reads a phase added."})
    boolean profile;

    @Override
    public SettingOptions settingOptions() {
        return settingOptions;
    }

    @Override
    public Integer call() {
        Settings settings = settingOptions.resolve();
        TrainingData data = TrainingData.load(settings);
        data.checkMemory(settings);
        PrintWriter w = spec.commandLine().getOut();
        int epochs = settings.get(TrainingSettings.EPOCHS);
        try (KernelsAndThreads engine = KernelsAndThreads.create(TrainingSettings.threads(settings))) {
            RnnModel model = new RnnModel(TrainingSettings.modelConfig(settings, data.corpus().vocab().size()), engine.kernels(), engine.workers());
            Rng rng = new Rng(settings.get(TrainingSettings.SEED));
            TrainingSettings.initialize(model, settings, rng);
            double peak = Kernels.measuredPeakGflops(engine.workers()); // before training, while the pool is idle
            Trainer trainer = new Trainer(model, settings, data.train(), data.validation(), rng);
            double[] speeds = new double[epochs];
            EpochStats[] lastEpoch = new EpochStats[1];
            PhaseTimes times = new PhaseTimes();
            int profileFrom = epochs >= PROFILE_FROM ? PROFILE_FROM : 1;
            double[] profiled = new double[2]; // seconds of training, epochs
            if (profile && profileFrom == 1) engine.workers().timePhases(times);
            trainer.run(s -> {
                speeds[s.epoch() - 1] = s.tokensPerSec();
                lastEpoch[0] = s;
                w.println(TrainCommand.line(s));
                if (profile && s.epoch() >= profileFrom) {
                    profiled[0] += s.seconds();
                    profiled[1]++;
                }
                if (profile && s.epoch() == profileFrom - 1) engine.workers().timePhases(times);
            });
            engine.workers().timePhases(null);
            if (profile) printProfile(w, times, profileFrom, profileFrom + (int) profiled[1] - 1, profiled[0], (int) profiled[1]);
            EpochStats last = lastEpoch[0];
            double median = TrainCommand.median(speeds);
            double gflops = median * FlopCount.trainingPerToken(model) / 1e9;
            String share = Double.isNaN(peak) ? "no Vector API to measure a peak"
                    : String.format(Locale.ROOT, "%.0f%% of %.0f GFLOP/s measured peak", 100 * gflops / peak, peak);
            w.printf(Locale.ROOT, "bench: %.1f tokens/s, %.1f GFLOP/s = %s (median of %d epochs; final perplexity %.3f) batch %d, steps %d, hiddens %d, vocab %d, "
                            + "sampling %s, %s%n", median, gflops, share, epochs, last.perplexity(), settings.get(TrainingSettings.BATCH_SIZE),
                    settings.get(TrainingSettings.NUM_STEPS), settings.get(TrainingSettings.HIDDENS), data.corpus().vocab().size(),
                    settings.format(TrainingSettings.SAMPLING), engine.describe());
        }
        return 0;
    }

    /** The --profile table for epochs from..to: each phase in ms per epoch, its share of the training time, its runs per epoch. */
    static void printProfile(PrintWriter w, PhaseTimes times, int from, int to, double seconds, int epochs) {
        if (epochs == 0 || seconds <= 0) return;
        w.printf(Locale.ROOT, "profile of epochs %d-%d: %.1f ms of training per epoch; the worker pool's phases by wall time%n",
                from, to, 1e3 * seconds / epochs);
        for (PhaseTimes.Phase p : times.phases()) {
            double ms = p.nanos() / 1e6 / epochs;
            w.printf(Locale.ROOT, "  %-40s %9.2f ms %6.1f%% %8.0f runs%n", p.name(), ms, 100 * ms / (1e3 * seconds / epochs), (double) p.runs() / epochs);
        }
        double rest = 1e3 * seconds / epochs - times.totalNanos() / 1e6 / epochs;
        w.printf(Locale.ROOT, "  %-40s %9.2f ms %6.1f%%%n", "outside the pool's phases", rest, 100 * rest / (1e3 * seconds / epochs));
    }
}
