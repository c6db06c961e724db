namespace SourceStripe.Stripe;

/// <summary>How waiters leave their queues: released by the one timer, first come first served, once their slots open, or taken out when cancelled.</summary>
public sealed partial class StripeRateLimiter
{
    /// <summary>
    /// Releases, first come first served, every waiter whose endpoint and the key both have a slot open, then arms
    /// the timer for the next one. Holds the lock; the released are completed after it (<see cref="Complete"/>).
    /// </summary>
    private void ReleaseDue(long now, List<Waiter> ready)
    {
        while (_waiting.Count > 0 && _key.Slot(now) is var keySlot && keySlot <= now)
        {
            Endpoint? first = null;
            var firstSlot = 0L;
            foreach (var endpoint in _waiting)
            {
                if ((first is null || endpoint.Waiters.First!.Value.Arrival < first.Waiters.First!.Value.Arrival) && endpoint.Pace.Slot(now) is var slot && slot <= now)
                {
                    (first, firstSlot) = (endpoint, slot);
                }
            }
            if (first is null)
            {
                break;
            }
            var head = first.Waiters.First!;
            first.Waiters.RemoveFirst();
            if (first.Waiters.Count == 0)
            {
                _waiting.Remove(first);
            }
            Take(first, now, firstSlot, keySlot);
            ready.Add(head.Value);
        }
        Arm(now);
    }

    /// <summary>Arms the one timer for the moment the next waiter may leave, or disarms it when none waits. Holds the lock.</summary>
    private void Arm(long now)
    {
        if (_waiting.Count == 0)
        {
            _timer.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            return;
        }
        var due = Math.Max(_key.Slot(now), _waiting.Min(endpoint => endpoint.Pace.Slot(now)));
        // The system timer counts whole milliseconds: rounded down it would fire before the slot, twice.
        var milliseconds = Math.Max(0, (long)Math.Ceiling((due - now) * 1000.0 / _clock.TimestampFrequency));
        _timer.Change(TimeSpan.FromMilliseconds(milliseconds), Timeout.InfiniteTimeSpan);
    }

    /// <summary>The timer: releases what is due, then re-arms.</summary>
    private void Release()
    {
        List<Waiter> ready = [];
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }
            ReleaseDue(_clock.GetTimestamp(), ready);
        }
        Complete(ready);
    }

    /// <summary>Outside the lock; the waiters' continuations run on the thread pool, not on the timer's thread.</summary>
    private static void Complete(List<Waiter> ready)
    {
        foreach (var waiter in ready)
        {
            waiter.Complete(Lease.Granted, null);
        }
    }

    /// <summary>Takes a cancelled waiter out of its queue, if a slot has not released it first.</summary>
    private bool Remove(Waiter waiter)
    {
        lock (_gate)
        {
            if (waiter.Node?.List is null)
            {
                return false;
            }
            var endpoint = waiter.Endpoint;
            endpoint.Waiters.Remove(waiter.Node);
            if (endpoint.Waiters.Count == 0)
            {
                _waiting.Remove(endpoint);
            }
            if (!_disposed)
            {
                Arm(_clock.GetTimestamp());
            }
            return true;
        }
    }
}
