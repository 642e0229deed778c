package charlm.io;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import charlm.data.Vocab;
import charlm.generate.Predictor;
import charlm.kernels.Kernels;
import charlm.kernels.Workers;
import charlm.testing.Fixtures;
import charlm.train.Evaluator;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * Files written by format version 1 must load in every later charlm and compute what they computed
 * then: an RNN, a two-layer GRU and a two-layer LSTM with an embedding (see GoldenCheckpoints).
 */
class GoldenCheckpointTest {
    @Test
    void formatVersionOneCheckpointsStillLoadAndAgree() throws Exception {
        Properties expected = new Properties();
        try (InputStream in = getClass().getResourceAsStream("/golden/golden.properties")) {
            expected.load(in);
        }
        for (var e : GoldenCheckpoints.MODELS.entrySet()) {
            Path file = Path.of(Fixtures.class.getResource("/golden/" + e.getKey() + ".safetensors").toURI());
            Checkpoint.Loaded c = Checkpoint.load(file, Kernels.get(), Workers.serial());
            assertThat(c.model().config).as(e.getKey()).isEqualTo(e.getValue());
            assertThat(c.metadata()).containsEntry("format_version", "1");
            // the exact parameters it was made with
            assertThat(c.model().params.data).containsExactly(GoldenCheckpoints.make(e.getValue()).params.data);
            Vocab v = c.vocab();
            double want = Double.parseDouble(expected.getProperty(e.getKey() + ".perplexity"));
            assertThat(Evaluator.perplexity(c.model(), GoldenCheckpoints.tokens(v))).isCloseTo(want, within(1e-5 * want));
            assertThat(new Predictor(c.model(), v, c.tokenizer()).greedy("the time", 40)).isEqualTo(expected.getProperty(e.getKey() + ".greedy"));
        }
    }
}
