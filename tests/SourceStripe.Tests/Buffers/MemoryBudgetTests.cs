using SourceStripe.Buffers;
using SourceStripe.Capture.Output;
using SourceStripe.Capture.Scheduling;
using SourceStripe.Simulator;
using SourceStripe.Stripe;
using SourceStripe.Tests.Capture.Core;
using SourceStripe.Tests.Stripe;

namespace SourceStripe.Tests.Buffers;

public sealed class MemoryBudgetTests
{
    private const int Kib = 1024;

    [Fact]
    public void Counts_the_bytes_it_hands_out_in_powers_of_two_from_64_KiB()
    {
        var pool = new MemoryBudget(limit: 1024 * Kib);
        var small = pool.Rent(10);
        var page = pool.Rent(300 * Kib);

        Assert.Equal(64 * Kib, small.Length);
        Assert.Equal(512 * Kib, page.Length);
        Assert.Equal(576 * Kib, pool.Held);

        pool.Return(small);
        pool.Return(page);
        Assert.Equal(0, pool.Held);
        Assert.Equal(576 * Kib, pool.Peak);
    }

    [Fact]
    public void Reuses_what_was_returned_even_for_a_page_up_to_four_times_smaller()
    {
        var pool = new MemoryBudget(limit: 1024 * Kib);
        var first = pool.Rent(300 * Kib);
        pool.Return(first);
        Assert.Same(first, pool.Rent(257 * Kib));
        pool.Return(first);
        Assert.Same(first, pool.Rent(128 * Kib));
        Assert.Equal(512 * Kib, pool.Held);
        pool.Return(first);

        // Eight times smaller would tie up too much: a buffer of its own.
        var small = pool.Rent(64 * Kib);
        Assert.NotSame(first, small);
        Assert.Equal(64 * Kib, pool.Held);
        pool.Return(small);
    }

    [Fact]
    public void Keeps_freed_buffers_up_to_its_limit_however_many_are_held()
    {
        var pool = new MemoryBudget(limit: 512 * Kib);
        // The held bytes at the limit (a capture faster than its stdout): what comes back is still kept.
        var held = Enumerable.Range(0, 4).Select(_ => pool.Rent(128 * Kib)).ToList();
        var burst = Enumerable.Range(0, 6).Select(_ => pool.Rent(128 * Kib)).ToList();
        burst.ForEach(buffer => pool.Return(buffer));
        // The limit, 512 KiB: four of the six were kept, the others dropped.
        Assert.Equal(4, Enumerable.Range(0, 6).Select(_ => pool.Rent(128 * Kib)).Count(buffer => burst.Any(kept => ReferenceEquals(kept, buffer))));
        held.ForEach(buffer => pool.Return(buffer));
    }

    [Fact]
    public async Task Admits_bodies_while_they_fit_then_in_arrival_order_as_room_is_freed()
    {
        var pool = new MemoryBudget(limit: 1024 * Kib);
        // A body of 256 KiB and the lines it becomes: 512 KiB each.
        var first = await pool.AdmitAsync(256 * Kib, 2, CancellationToken.None);
        var second = await pool.AdmitAsync(256 * Kib, 2, CancellationToken.None);
        Assert.Equal(1024 * Kib, pool.Admitted);
        var large = pool.AdmitAsync(256 * Kib, 2, CancellationToken.None).AsTask();
        // It would fit beside the large one once one body is done, but it came later: it waits its turn.
        var small = pool.AdmitAsync(64 * Kib, 1, CancellationToken.None).AsTask();
        Assert.False(large.IsCompleted);
        Assert.False(small.IsCompleted);

        // The first body is read into its buffer and admitted no longer: held from now on.
        var body = pool.Rent(256 * Kib);
        first.Dispose();
        first.Dispose();
        Assert.False(large.IsCompleted);
        pool.Return(body);
        (await large.WaitAsync(TimeSpan.FromSeconds(60))).Dispose();
        Assert.False(small.IsCompleted);

        second.Dispose();
        (await small.WaitAsync(TimeSpan.FromSeconds(60))).Dispose();
        Assert.Equal(0, pool.Admitted);
    }

    [Fact]
    public async Task Buffers_rented_through_an_admission_are_counted_once_and_the_rest_is_given_back_on_dispose()
    {
        var budget = new MemoryBudget(limit: 1024 * Kib);
        var admission = await budget.AdmitAsync(256 * Kib, 2, CancellationToken.None);
        Assert.Equal(512 * Kib, budget.InUse);

        var body = admission.Rent(256 * Kib);
        Assert.Equal(256 * Kib, budget.Held);
        Assert.Equal(256 * Kib, budget.Admitted);
        Assert.Equal(512 * Kib, budget.InUse);

        // A body larger than expected takes what is left of the room and the rest beside it.
        var larger = admission.Rent(512 * Kib);
        Assert.Equal(0, admission.Left);
        Assert.Equal(768 * Kib, budget.InUse);
        budget.Return(body);
        admission.Dispose();
        Assert.Equal(512 * Kib, budget.InUse);
        budget.Return(larger);
        Assert.Equal(0, budget.InUse);

        var unused = await budget.AdmitAsync(64 * Kib, 2, CancellationToken.None);
        budget.Return(unused.Rent(64 * Kib));
        unused.Dispose();
        unused.Dispose();
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task Lets_a_body_larger_than_the_limit_in_alone_and_nothing_while_the_held_bytes_are_at_the_limit()
    {
        var pool = new MemoryBudget(limit: 256 * Kib);
        var huge = await pool.AdmitAsync(1024 * Kib, 2, CancellationToken.None);
        var next = pool.AdmitAsync(64 * Kib, 1, CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        var lines = pool.Rent(256 * Kib);
        huge.Dispose();
        // Nothing is admitted, but the held bytes are at the limit: the writer has to free some first.
        Assert.False(next.IsCompleted);
        pool.Return(lines);
        (await next.WaitAsync(TimeSpan.FromSeconds(60))).Dispose();
    }

    [Fact]
    public async Task Passes_over_a_waiter_that_gave_up()
    {
        var pool = new MemoryBudget(limit: 128 * Kib);
        var held = pool.Rent(128 * Kib);
        using var stop = new CancellationTokenSource();
        var gaveUp = pool.AdmitAsync(64 * Kib, 1, stop.Token).AsTask();
        var next = pool.AdmitAsync(64 * Kib, 1, CancellationToken.None).AsTask();
        await stop.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => gaveUp.WaitAsync(TimeSpan.FromSeconds(60)));
        Assert.False(next.IsCompleted);
        pool.Return(held);
        (await next.WaitAsync(TimeSpan.FromSeconds(60))).Dispose();
        Assert.Equal(0, pool.Admitted);
    }

    [Fact]
    public void Forgets_a_burst_once_the_capture_holds_less_for_a_while()
    {
        var pool = new MemoryBudget(limit: 2048 * Kib);
        var burst = Enumerable.Range(0, 4).Select(_ => pool.Rent(128 * Kib)).ToList();
        burst.ForEach(buffer => pool.Return(buffer));
        Assert.Equal(512 * Kib, pool.Demand);

        // Soon after, a burst like it is served from what was kept.
        var again = Enumerable.Range(0, 4).Select(_ => pool.Rent(128 * Kib)).ToList();
        Assert.All(again, buffer => Assert.Contains(burst, kept => ReferenceEquals(kept, buffer)));
        again.ForEach(buffer => pool.Return(buffer));

        // A long while of one page at a time: the demand falls to it, and the other buffers are dropped.
        for (var i = 0; i < 60 * 256; i++)
        {
            pool.Return(pool.Rent(128 * Kib));
        }
        Assert.InRange(pool.Demand, 128 * Kib, 130 * Kib);
        var later = Enumerable.Range(0, 4).Select(_ => pool.Rent(128 * Kib)).ToList();
        Assert.Equal(1, later.Count(burst.Contains));
        later.ForEach(buffer => pool.Return(buffer));
        Assert.Equal(512 * Kib, pool.Demand);
    }

    [Fact]
    public void Makes_way_among_kept_buffers_when_pages_change_size()
    {
        var pool = new MemoryBudget(limit: 512 * Kib);
        var old = new[] { pool.Rent(64 * Kib), pool.Rent(64 * Kib), pool.Rent(128 * Kib) };
        Array.ForEach(old, buffer => pool.Return(buffer));
        // Half the limit is kept in small buffers: a page of 256 KiB gets a new one, and they make way for it.
        var page = pool.Rent(256 * Kib);
        Assert.DoesNotContain(old, buffer => ReferenceEquals(buffer, page));
        pool.Return(page);
        Assert.Same(page, pool.Rent(256 * Kib));
        var small = pool.Rent(64 * Kib);
        Assert.DoesNotContain(old, buffer => ReferenceEquals(buffer, small));
    }

    [Fact]
    public void Says_when_it_is_full_and_once_when_room_is_freed()
    {
        var pool = new MemoryBudget(limit: 256 * Kib);
        var freed = 0;
        pool.RoomFreed += () => freed++;
        var a = pool.Rent(128 * Kib);
        Assert.True(pool.HasRoom);
        var b = pool.Rent(128 * Kib);
        var c = pool.Rent(64 * Kib);
        Assert.False(pool.HasRoom);

        pool.Return(c);
        Assert.False(pool.HasRoom);
        Assert.Equal(0, freed);
        pool.Return(b);
        Assert.True(pool.HasRoom);
        Assert.Equal(1, freed);
        pool.Return(a);
        Assert.Equal(1, freed);
    }

    [Fact]
    public async Task A_page_is_counted_once_from_its_read_until_the_writer_has_written_its_lines()
    {
        await using var stripe = await StripeSimulator.StartAsync(new SimulatorOptions { ObjectsPerStream = 100 });
        var config = WaitForRoomTests.ConfigFor(stripe);
        var memory = new MemoryBudget();
        using var client = new StripeClient(config);
        client.ReadInto(memory);
        var sink = new BlockedSink();
        var writer = new CaptureWriter(sink, memory);
        var writing = writer.RunAsync();

        // Once a page of the kind has been read, its size is known; then read as a unit reads its next page:
        // the body and the lines it becomes are admitted together.
        (await client.ListAsync("/v1/customers?limit=100", "created", null, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(60))).Dispose();
        var page = await client.ListAsync("/v1/customers?limit=100", "created", null, CancellationToken.None, waitForRoom: true).WaitAsync(TimeSpan.FromSeconds(60));
        var admitted = memory.InUse;
        var batch = writer.NewBatch();
        using (page)
        {
            Assert.Equal(100, page.Items.Count);
            batch.Expect(page.Items.Count, page.ByteCount, page.LinesRoom);
            foreach (var item in page.Items)
            {
                batch.Add(0, page.Raw(item), []);
            }
            // The lines were rented out of the room admitted for them: nothing beyond what the page was let in with.
            Assert.Equal(admitted, memory.InUse);
        }
        var (lines, documents) = batch.Take();
        var linesBuffer = memory.Held;
        writer.Add(lines, documents, "customers", "{}"u8.ToArray());
        await sink.Writing.Task.WaitAsync(TimeSpan.FromSeconds(60));

        // The sink holds the lines: the budget counts their buffer, once, and nothing else.
        Assert.Equal(linesBuffer, memory.InUse);
        Assert.Equal(0, memory.Admitted);
        Assert.InRange(linesBuffer, page.ByteCount, 4L * page.ByteCount);

        sink.Release.SetResult();
        writer.Complete();
        await writing.WaitAsync(TimeSpan.FromSeconds(60));
        Assert.Equal(0, memory.InUse);
    }

    /// <summary>A stdout that takes its first commit and then blocks until released.</summary>
    private sealed class BlockedSink : ICaptureSink
    {
        public TaskCompletionSource Writing { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Release { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Opened()
        {
        }

        public void Commit(ReadOnlySpan<byte> capturedLines, int documents, string? stateKey, ReadOnlySpan<byte> statePatch)
        {
            Writing.TrySetResult();
            Release.Task.Wait();
        }

        public void Flush()
        {
        }
    }

    [Fact]
    public void Refuses_a_buffer_it_did_not_hand_out()
    {
        var pool = new MemoryBudget();
        Assert.Throws<ArgumentException>(() => pool.Return(new byte[1000]));
    }

    [Fact]
    public async Task The_scheduler_starts_nothing_while_the_pool_is_full_and_goes_on_when_room_is_freed()
    {
        var pool = new MemoryBudget(limit: 128 * Kib);
        var customers = RequestEndpoint.Of(null, "/v1/customers");
        var queued = false;
        var declined = false;
        var taken = 0;
        var scheduler = new WorkScheduler(TimeProvider.System, maxConcurrency: 4)
        {
            HasRoom = () =>
            {
                var room = pool.HasRoom;
                // The scheduler asks under the lock Enqueue takes: asked after the three were queued, it had them in line.
                if (!room && Volatile.Read(ref queued))
                {
                    Volatile.Write(ref declined, true);
                }
                return room;
            },
            // Asked under the same lock for the endpoint of each unit taken from the line to start: it tells at once
            // whether one was started, where the unit itself runs only once the thread pool gets to it.
            EndpointCapacity = endpoint =>
            {
                if (endpoint == customers)
                {
                    Interlocked.Increment(ref taken);
                }
                return int.MaxValue;
            },
        };
        pool.RoomFreed += scheduler.Wake;
        var held = pool.Rent(128 * Kib);
        var log = new List<string>();
        var watched = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Runs first, while there is room; the pool is filled then: the others must wait for room.
        scheduler.Enqueue(new WorkSchedulerTests.Probe("watch", false, 0, log, watched));
        pool.Return(held);
        var run = scheduler.RunAsync(CancellationToken.None);
        await WorkSchedulerTests.Until(() => { lock (log) { return log.Count == 1; } });
        var refill = pool.Rent(128 * Kib);
        for (var i = 0; i < 3; i++)
        {
            scheduler.Enqueue(new WorkSchedulerTests.Probe($"unit {i}", false, 0, log, endpoint: customers));
        }
        Volatile.Write(ref queued, true);
        // Each Enqueue wakes the scheduler; this wakes it once more in case it looked before `queued` was set.
        scheduler.Wake();
        // It has looked at the three: it declined, or it took one.
        await WorkSchedulerTests.Until(() => Volatile.Read(ref declined) || Volatile.Read(ref taken) > 0);
        Assert.Equal(0, Volatile.Read(ref taken));

        pool.Return(refill);
        watched.SetResult();
        await run.WaitAsync(TimeSpan.FromSeconds(60));
        // The count above proves nothing unless starting a unit asks for its endpoint's capacity.
        Assert.True(taken >= 3, $"the endpoint's capacity was asked {taken} times for 3 units started");
        Assert.Equal(4, log.Count);
        Assert.Null(scheduler.Failure);
    }
}
