package charlm.train;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.data.Corpus;
import charlm.data.Rng;
import charlm.data.Tokenizer;
import charlm.kernels.Alignment;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.model.Activation;
import charlm.model.Cells;
import charlm.model.InputKind;
import charlm.model.ModelConfig;
import charlm.model.RnnModel;
import charlm.settings.Settings;
import charlm.testing.SharedData;
import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The padding that puts the panels on cache lines ({@link Alignment}) changes where the kernels read their
 * numbers from, never the numbers: the tests run with the launcher's -XX:ObjectAlignmentInBytes=64 (the
 * surefire argLine), where the padding is on, and a child JVM with the default 8 bytes has none.
 */
class PanelAlignmentTest {
    @TempDir
    Path dir;

    @Test
    void thePaddingLandsTheFirstPanelOnACacheLine() throws Exception {
        HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
        assertThat(vm.getVMOption("ObjectAlignmentInBytes").getValue())
                .as("tests run with the launcher's -XX:ObjectAlignmentInBytes=64 (pom.xml's argLine)").isEqualTo("64");
        int base = Class.forName("sun.misc.Unsafe").getField("ARRAY_FLOAT_BASE_OFFSET").getInt(null);
        assertThat(Alignment.PAD).isBetween(1, 15); // base is 12, 16 or 24 bytes: never a whole line
        assertThat((base + Float.BYTES * Alignment.PAD) % 64).as("array base %d + PAD floats", base).isZero();
    }

    @Test
    void trainingWritesTheSameBitsWithAndWithoutThePadding() throws Exception {
        Path text = SharedData.textFile(dir), padded = dir.resolve("padded.bin"), plain = dir.resolve("plain.bin");
        Probe.main(new String[] {text.toString(), padded.toString()});
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--add-modules", "jdk.incubator.vector", "-XX:ObjectAlignmentInBytes=8",
                "-cp", System.getProperty("java.class.path"), Probe.class.getName(), text.toString(), plain.toString()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve("child.log").toFile()).start();
        assertThat(p.waitFor(120, TimeUnit.SECONDS)).as("child finished").isTrue();
        assertThat(p.exitValue()).as(Files.readString(dir.resolve("child.log"))).isZero();
        Probe.Result here = Probe.read(padded), child = Probe.read(plain);
        assertThat(here.pad()).as("padding on here").isPositive();
        assertThat(child.pad()).as("no padding in the child").isZero();
        assertThat(child.params().length).isEqualTo(here.params().length);
        for (int i = 0; i < here.params().length; i++) {
            assertThat(child.params()[i]).as("model %d", i).containsExactly(here.params()[i]);
        }
    }

    /** Trains three small models (LSTM ×2 with an embedding and H 128, GRU H 64, RNN H 96) and writes PAD and their weights. */
    public static final class Probe {
        record Result(int pad, float[][] params) {
        }

        public static void main(String[] args) throws IOException {
            Corpus corpus = Corpus.load(Path.of(args[0]), Tokenizer.LETTERS, 6_000);
            int v = corpus.vocab().size();
            ModelConfig[] models = {
                new ModelConfig(v, 128, Activation.TANH, InputKind.EMBEDDING, 16, Cells.LSTM, 2),
                new ModelConfig(v, 64, Activation.TANH, InputKind.ONEHOT, 0, Cells.GRU, 1),
                new ModelConfig(v, 96, Activation.TANH, InputKind.ONEHOT, 0, Cells.RNN, 1),
            };
            Settings settings = TrainerTest.settings(16, 20, 2, Double.valueOf(1.0), Sampling.SEQUENTIAL, true, 5);
            try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[1])))) {
                out.writeInt(Alignment.PAD);
                out.writeInt(models.length);
                for (ModelConfig config : models) {
                    try (Workers workers = new Workers(2)) {
                        RnnModel m = new RnnModel(config, Kernels.get(), workers);
                        Rng rng = new Rng(5);
                        m.initialize(rng);
                        new Trainer(m, settings, corpus.tokens(), null, rng).run(stats -> { });
                        out.writeInt(m.params.data.length);
                        for (float x : m.params.data) out.writeInt(Float.floatToRawIntBits(x));
                    }
                }
            }
        }

        static Result read(Path file) throws IOException {
            try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
                int pad = in.readInt();
                float[][] params = new float[in.readInt()][];
                for (int i = 0; i < params.length; i++) {
                    params[i] = new float[in.readInt()];
                    for (int j = 0; j < params[i].length; j++) params[i][j] = Float.intBitsToFloat(in.readInt());
                }
                return new Result(pad, params);
            }
        }
    }
}
