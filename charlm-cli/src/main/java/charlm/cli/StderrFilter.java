package charlm.cli;

import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The other end of the ./charlm launcher's stderr filter: the launcher starts the filter (it drops the JVM's
 * start-up warnings) and then becomes the JVM, so nothing waits for the filter any more. Before the JVM exits,
 * this closes its stderr and waits a bounded time for the filter to pass on the last lines, so that a caller
 * who reads a stderr file as soon as charlm has exited finds them. Leaves out exits by a signal, which end
 * when the shutdown hooks do.
 */
final class StderrFilter {
    /** The filter's process id, set by the launcher. */
    static final String ENV = "CHARLM_STDERR_FILTER";

    private StderrFilter() {
    }

    static void awaitLastLines() {
        String id = System.getenv(ENV);
        if (id == null || !id.matches("[0-9]{1,18}")) return;
        long pid = Long.parseLong(id);
        // Only a child of this JVM: a process that merely inherited the variable has no such child.
        Optional<ProcessHandle> filter = ProcessHandle.current().children().filter(h -> h.pid() == pid).findFirst();
        if (filter.isEmpty()) return;
        System.out.flush();
        System.err.flush();
        System.err.close(); // the JDK points fd 2 at /dev/null: the filter's pipe has no writer left, so it reads to the end and exits
        try {
            filter.get().onExit().get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            // exit all the same: a reader of stderr that stopped reading must not hold charlm up
        }
    }
}
