package charlm.cli;

import charlm.kernels.Kernels;
import charlm.kernels.PhaseTimes;
import charlm.kernels.Workers;
import charlm.model.FlopCount;
import charlm.model.RnnModel;
import charlm.run.KernelsAndThreads;
import charlm.run.RunDirectory;
import charlm.run.TrainingData;
import charlm.run.TrainingRun;
import charlm.settings.Settings;
import charlm.train.EpochStats;
import charlm.train.Evaluation;
import charlm.train.TrainingListener;
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
                        + "measured before training and again after it, the higher kept: every thread of the run's pool runs twelve "
                        + "independent chains of vector fused multiply-adds on registers, best of five rounds of about 60 ms. It is "
                        + "what the cores reach at the clock they run at then; on a busy machine it drops with the rate."})
final class BenchCommand implements Callable<Integer>, UsesSettings {

    private final SettingOptions settingOptions = new SettingOptions(SettingOptions.Form.SINGLE).withDefault(TrainingSettings.EPOCHS, 20);

    @Spec
    CommandSpec spec;

    @Option(names = "--profile", description = {"Before the last line, list where the training time went: the wall time of each "
            + "phase the worker pool runs (forward step, backward step, weight gradients, logits, optimizer update, ...), "
            + "in ms per epoch and as a share of the training time, over the second half of the epochs (the first are the JIT's: "
            + "on a small model give more epochs), and what is left outside them; held-out scoring (--val-fraction) is timed "
            + "apart. The same code with two clock reads a phase added."})
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
        try (KernelsAndThreads compute = KernelsAndThreads.create(TrainingSettings.threads(settings))) {
            double peak = Kernels.measuredPeakGflops(compute.workers()); // before training, while the pool is idle (and after, below)
            TrainingRun run = TrainingRun.start(settings, data, compute);
            RnnModel model = run.trainer().model();
            double[] speeds = new double[epochs];
            EpochStats[] lastEpoch = new EpochStats[1];
            PhaseTimes times = new PhaseTimes();
            Profile profiled = new Profile(profile, epochs / 2 + 1, compute.workers(), times); // the second half: the JIT has compiled the kernels
            run.train(new TrainingListener() {
                @Override
                public void onEpoch(EpochStats s) {
                    speeds[s.epoch() - 1] = s.tokensPerSec();
                    lastEpoch[0] = s;
                    w.println(TrainCommand.line(s));
                    profiled.onEpoch(s);
                }

                @Override
                public void onEvaluationStart() {
                    profiled.pause();
                }

                @Override
                public void onEvaluation(Evaluation e) {
                    profiled.onEvaluation(e);
                }
            });
            compute.workers().timePhases(null);
            // Again after training, keeping the higher: at start the JVM is still compiling and the kernel may be
            // handing out the heap's huge pages, and on 2 cores the first measurement came out halved in 4 of 14
            // runs with huge pages and 1 of about 30 without (2026-12-07), doubling the share printed below.
            if (!Double.isNaN(peak)) peak = Math.max(peak, Kernels.measuredPeakGflops(compute.workers()));
            if (profile) profiled.print(w);
            EpochStats last = lastEpoch[0];
            double median = RunDirectory.median(speeds);
            double gflops = median * FlopCount.trainingPerToken(model) / 1e9;
            String share = Double.isNaN(peak) ? "no Vector API to measure a peak"
                    : String.format(Locale.ROOT, "%.0f%% of %.0f GFLOP/s measured peak", 100 * gflops / peak, peak);
            w.printf(Locale.ROOT, "bench: %.1f tokens/s, %.1f GFLOP/s = %s (median of %d epochs; final perplexity %.3f) batch %d, steps %d, hiddens %d, vocab %d, "
                            + "sampling %s, %s%n", median, gflops, share, epochs, last.perplexity(), settings.get(TrainingSettings.BATCH_SIZE),
                    settings.get(TrainingSettings.NUM_STEPS), settings.get(TrainingSettings.HIDDENS), data.vocab().size(),
                    settings.format(TrainingSettings.SAMPLING), compute.describe());
        }
        return 0;
    }

    /**
     * What --profile gathers: the pool's phases of training from epoch `from` on, the training time of
     * those epochs, and the held-out scorings (timed as a whole, their phases kept out of training's).
     */
    private static final class Profile {
        private final boolean on;
        private final int from;
        private final Workers workers;
        private final PhaseTimes times;
        private boolean timing;
        private double seconds, scoringSeconds;
        private int epochs, scorings, lastEpoch;

        Profile(boolean on, int from, Workers workers, PhaseTimes times) {
            this.on = on;
            this.from = from;
            this.workers = workers;
            this.times = times;
            if (on && from == 1) start();
        }

        private void start() {
            timing = true;
            workers.timePhases(times);
        }

        void onEpoch(EpochStats s) {
            if (!on) return;
            if (s.epoch() >= from) {
                seconds += s.seconds();
                epochs++;
                lastEpoch = s.epoch();
            }
            if (s.epoch() == from - 1) start();
        }

        void pause() {
            if (timing) workers.timePhases(null);
        }

        void onEvaluation(Evaluation e) {
            if (!timing) return;
            scoringSeconds += e.seconds();
            scorings++;
            workers.timePhases(times);
        }

        /** Each phase in ms per epoch, its share of the training time, its runs per epoch; then the rest, and the scorings. */
        void print(PrintWriter w) {
            if (epochs == 0 || seconds <= 0) return;
            double perEpoch = 1e3 * seconds / epochs;
            w.printf(Locale.ROOT, "profile of epochs %d-%d: %.1f ms of training per epoch; the worker pool's phases by wall time%n",
                    from, lastEpoch, perEpoch);
            for (PhaseTimes.Phase p : times.phases()) {
                double ms = p.nanos() / 1e6 / epochs;
                w.printf(Locale.ROOT, "  %-40s %9.2f ms %6.1f%% %8.0f runs%n", p.name(), ms, 100 * ms / perEpoch, (double) p.runs() / epochs);
            }
            double rest = perEpoch - times.totalNanos() / 1e6 / epochs;
            w.printf(Locale.ROOT, "  %-40s %9.2f ms %6.1f%%%n", "outside the pool's phases", rest, 100 * rest / perEpoch);
            if (scorings > 0) {
                w.printf(Locale.ROOT, "  %-40s %9.2f ms (besides the training time; %d scorings)%n", "held-out scoring",
                        1e3 * scoringSeconds / epochs, scorings);
            }
        }
    }
}
