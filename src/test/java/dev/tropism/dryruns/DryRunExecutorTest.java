package dev.tropism.dryruns;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.tropism.web.ApiException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

/** Admission of the dry-run executor: threads + queue slots, then 429; recovery at start; stop interrupts. */
class DryRunExecutorTest {

    /** A store that only counts recoveries (the executor touches nothing else). */
    private static final class CountingStore extends DryRunStore {

        final AtomicInteger recoveries = new AtomicInteger();

        CountingStore() {
            super(null);
        }

        @Override
        int failUnfinished(String code, String message) {
            recoveries.incrementAndGet();
            return 0;
        }
    }

    @Test
    void admitsThreadsPlusQueueCapacityThenAnswers429() throws Exception {
        CountingStore store = new CountingStore();
        DryRunExecutor executor = new DryRunExecutor(store, new DryRunProperties(1, 1));
        assertThatThrownBy(executor::reserve).isInstanceOfSatisfying(ApiException.class,
                e -> assertThat(e.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS)); // not started yet
        executor.start();
        assertThat(store.recoveries).hasValue(1);
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(2);
        Runnable blocked = () -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                finished.countDown();
            }
        };
        assertThat(executor.reserve().start(blocked)).isTrue(); // running
        assertThat(executor.reserve().start(blocked)).isTrue(); // queued
        assertThatThrownBy(executor::reserve).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(HttpStatus.TOO_MANY_REQUESTS);
            assertThat(e.code()).isEqualTo("too_many_dry_runs");
        });
        release.countDown();
        assertThat(finished.await(10, TimeUnit.SECONDS)).isTrue();
        // Slots come back when work ends (each just after its work's finally block, so wait for both), and when
        // a reserved slot is released unused.
        DryRunExecutor.Slot a = reserveWithin(executor, 10);
        DryRunExecutor.Slot b = reserveWithin(executor, 10);
        a.release();
        b.release();
        executor.reserve().release();
        executor.stop();
    }

    /** A slot, retried until {@code seconds} have passed: a finished dry-run gives its slot back asynchronously. */
    private static DryRunExecutor.Slot reserveWithin(DryRunExecutor executor, int seconds) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            try {
                return executor.reserve();
            } catch (ApiException e) {
                assertThat(System.nanoTime()).as("a slot within %d s", seconds).isLessThan(deadline);
                Thread.sleep(10);
            }
        }
    }

    @Test
    void stopInterruptsRunningWork() throws Exception {
        DryRunExecutor executor = new DryRunExecutor(new CountingStore(), new DryRunProperties(1, 0));
        executor.start();
        CountDownLatch started = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        executor.reserve().start(() -> {
            started.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
        executor.stop();
        assertThat(interrupted).isTrue();
        assertThat(executor.isRunning()).isFalse();
        assertThatThrownBy(executor::reserve).isInstanceOf(ApiException.class);
    }
}
