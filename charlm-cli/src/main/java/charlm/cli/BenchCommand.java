package charlm.cli;

import charlm.data.Rng;
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
import picocli.CommandLine.Spec;

/** {@code charlm bench}: trains with no file output and reports the median tokens/s. */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Train for a few epochs with no file output and print, as the last line,",
                "'bench: <median> tokens/s' with the settings, JDK, kernel path and thread count."})
final class BenchCommand implements Callable<Integer>, UsesSettings {

    private final SettingOptions settingOptions = new SettingOptions(SettingOptions.Form.SINGLE).withDefault(TrainingSettings.EPOCHS, 20);

    @Spec
    CommandSpec spec;

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
            Trainer trainer = new Trainer(model, settings, data.train(), data.validation(), rng);
            double[] speeds = new double[epochs];
            EpochStats[] lastEpoch = new EpochStats[1];
            trainer.run(s -> {
                speeds[s.epoch() - 1] = s.tokensPerSec();
                lastEpoch[0] = s;
                w.println(TrainCommand.line(s));
            });
            EpochStats last = lastEpoch[0];
            double median = TrainCommand.median(speeds);
            w.printf(Locale.ROOT, "bench: %.1f tokens/s (median of %d epochs; final perplexity %.3f) batch %d, steps %d, hiddens %d, vocab %d, "
                            + "sampling %s, %s%n", median, epochs, last.perplexity(), settings.get(TrainingSettings.BATCH_SIZE),
                    settings.get(TrainingSettings.NUM_STEPS), settings.get(TrainingSettings.HIDDENS), data.corpus().vocab().size(),
                    settings.format(TrainingSettings.SAMPLING), engine.describe());
        }
        return 0;
    }
}
