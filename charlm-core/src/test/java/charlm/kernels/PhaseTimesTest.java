package charlm.kernels;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The pool files each run's wall time under its task's name while asked to, and only then. */
class PhaseTimesTest {

    @Test
    void runsAreTimedUnderTheirNamesWhileAskedTo() {
        PhaseTimes times = new PhaseTimes();
        int[] ran = new int[1];
        Workers.Task slow = Workers.named("slow", (part, parts) -> {
            if (part == 0) sleepMillis(2);
            synchronized (ran) {
                ran[0]++;
            }
        });
        Workers.Task quick = (part, parts) -> { };
        try (Workers workers = new Workers(2)) {
            workers.run(slow); // before timing: not counted
            workers.timePhases(times);
            for (int i = 0; i < 3; i++) workers.run(slow);
            workers.run(quick);
            workers.timePhases(null);
            workers.run(slow); // after: not counted
            assertThat(ran[0]).isEqualTo(5 * workers.partsPerRun()); // every part of every run, timed or not
        }
        List<PhaseTimes.Phase> phases = times.phases();
        assertThat(phases).extracting(PhaseTimes.Phase::name).containsExactly("slow", PhaseTimes.UNNAMED);
        assertThat(phases.get(0).runs()).isEqualTo(3);
        assertThat(phases.get(0).nanos()).isGreaterThanOrEqualTo(3 * 2_000_000L); // each run waits for its slow part
        assertThat(phases.get(1).runs()).isEqualTo(1);
        assertThat(times.totalNanos()).isEqualTo(phases.get(0).nanos() + phases.get(1).nanos());
    }

    @Test
    void aSerialPoolTimesToo() {
        PhaseTimes times = new PhaseTimes();
        try (Workers workers = Workers.serial()) {
            workers.timePhases(times);
            workers.run(Workers.named("one", (part, parts) -> { }));
        }
        assertThat(times.phases()).extracting(PhaseTimes.Phase::name, PhaseTimes.Phase::runs).containsExactly(org.assertj.core.groups.Tuple.tuple("one", 1L));
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
