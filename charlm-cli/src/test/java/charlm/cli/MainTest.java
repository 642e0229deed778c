package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Main under spark-submit ({@code --class charlm.cli.Main}): a sweep takes the submitted master as its --spark. */
class MainTest {
    @Test
    void underSparkSubmitASweepRunsOnTheSubmittedMaster() {
        assertThat(Main.withSubmittedMaster(new String[] {"sweep", "--lr", "1,2"}, "yarn"))
                .containsExactly("sweep", "--spark", "yarn", "--lr", "1,2");
        assertThat(Main.withSubmittedMaster(new String[] {"sweep", "--spark=local[2]"}, "yarn")).containsExactly("sweep", "--spark=local[2]");
        assertThat(Main.withSubmittedMaster(new String[] {"sweep", "--collect", "--out", "x"}, "yarn")).containsExactly("sweep", "--collect", "--out", "x");
        assertThat(Main.withSubmittedMaster(new String[] {"train"}, "yarn")).containsExactly("train");
        assertThat(Main.withSubmittedMaster(new String[] {"sweep"}, null)).containsExactly("sweep");
    }
}
