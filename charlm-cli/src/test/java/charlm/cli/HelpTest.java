package charlm.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** --help everywhere exits 0 and names the command's key options; no command at all is one line and exit 2. */
class HelpTest {

    static Stream<Arguments> commands() {
        return Stream.of(
                Arguments.of("train", new String[] {"--data", "--epochs", "--out", "--force", "--batch-size", "--num-steps", "--hiddens",
                        "--lr", "--clip", "--tokenizer", "--val-fraction", "--seed", "--prefix", "--serve"}),
                Arguments.of("generate", new String[] {"--model", "--prefix", "--num-preds", "--strategy", "--temperature", "--alpha",
                        "--top-k", "--seed"}),
                Arguments.of("eval", new String[] {"--model", "--data", "--max-tokens"}),
                Arguments.of("bench", new String[] {"--data", "--epochs", "--batch-size", "--num-steps", "--hiddens", "--threads"}),
                Arguments.of("sweep", new String[] {"--data", "--epochs", "--hiddens", "--lr", "--cell", "--layers", "--activation", "--sampling",
                        "--optimizer", "--parallel", "--out", "comma-separated list"}),
                Arguments.of("serve", new String[] {"--model", "--run", "--host", "--port", "--max-in-flight"}));
    }

    @ParameterizedTest
    @MethodSource("commands")
    void helpOfEachCommand(String command, String[] options) {
        for (String[] args : new String[][] {{command, "--help"}, {command, "-h"}, {"help", command}}) {
            Cli.Result r = Cli.run(args).ok();
            assertThat(r.out()).as("%s", String.join(" ", args)).contains("Usage: charlm " + command).contains(options);
            assertThat(r.err()).isEmpty();
        }
    }

    @Test
    void topLevelHelp() {
        for (String flag : new String[] {"--help", "-h", "help"}) {
            Cli.Result r = Cli.run(flag).ok();
            assertThat(r.out()).contains("Usage: charlm").contains("train", "generate", "eval", "bench", "sweep", "serve", "--help", "--version");
            assertThat(r.err()).isEmpty();
        }
    }

    @Test
    void version() {
        Cli.Result r = Cli.run("--version").ok();
        assertThat(r.lastLine()).startsWith("charlm ").contains("Java");
    }

    @Test
    void noCommandIsOneLineAndExitTwo() {
        Cli.run().refused("command", "train");
    }
}
