package charlm.run;

import static org.assertj.core.api.Assertions.assertThat;

import charlm.kernels.Kernels;
import org.junit.jupiter.api.Test;

class KernelsAndThreadsTest {

    /** The line train and bench print names the kernels, and for the vector ones the register blocks that ran. */
    @Test
    void describeNamesTheKernelsAndTheirBlocks() {
        try (KernelsAndThreads compute = KernelsAndThreads.create(2)) {
            Kernels k = compute.kernels();
            String line = compute.describe();
            if (k.detail().isEmpty()) {
                assertThat(line).startsWith("cpu, " + k.name() + " kernels, 2 threads, JDK ");
            } else {
                assertThat(line).startsWith("cpu, " + k.name() + " kernels (" + k.detail() + "), 2 threads, JDK ");
            }
            if (k.name().equals("vector")) assertThat(k.detail()).matches("\\d+ lanes, blocks for (16|32) registers");
        }
    }
}
