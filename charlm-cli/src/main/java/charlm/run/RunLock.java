package charlm.run;

import charlm.CharlmException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.OffsetDateTime;

/**
 * One writer per run folder: an operating-system lock (FileChannel.tryLock) on {@value #NAME} in the
 * folder, held while a command writes there. The system drops the lock when its process ends, however
 * it ends, so a killed run never leaves the folder stuck; the file itself stays, empty of meaning, and
 * says who held it last (for the message a second writer gets).
 */
public final class RunLock implements AutoCloseable {
    public static final String NAME = ".charlm.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private RunLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the folder's lock, or refuses with one line naming who holds it. */
    public static RunLock acquire(Path dir) {
        Path file = dir.resolve(NAME);
        FileChannel ch;
        try {
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new CharlmException("cannot open the lock file " + file + " (" + e.getMessage() + "); choose a folder you can write to");
        }
        FileLock lock;
        try {
            lock = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null; // this very process holds it already
        } catch (IOException e) {
            close(ch);
            throw new CharlmException("cannot lock " + file + " (" + e.getMessage() + ")");
        }
        if (lock == null) {
            String holder;
            try {
                holder = Files.readString(file, StandardCharsets.UTF_8).strip();
            } catch (IOException e) {
                holder = "";
            }
            close(ch);
            throw new CharlmException("another charlm" + (holder.isEmpty() ? "" : " (" + holder + ")") + " is writing to " + dir
                    + "; wait for it to finish or stop it, or use another folder");
        }
        try {
            ch.truncate(0);
            ch.write(ByteBuffer.wrap(("pid " + ProcessHandle.current().pid() + " since " + OffsetDateTime.now().withNano(0) + "\n")
                    .getBytes(StandardCharsets.UTF_8)));
        } catch (IOException e) {
            // the lock holds all the same; only the note of who holds it is missing
        }
        return new RunLock(ch, lock);
    }

    @Override
    public void close() {
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it anyway
        }
        close(channel);
    }

    private static void close(FileChannel ch) {
        try {
            ch.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }
}
