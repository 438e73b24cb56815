import COpenCL

/// Host-to-device copies that do not wait: each write copies its bytes into host memory owned here,
/// queues a non-blocking `clEnqueueWriteBuffer`, and keeps the copy until the write's event says
/// it is complete. So ``OpenCLBackend/write(_:into:)`` returns at once and a training step's input
/// upload does not wait for the previous step's kernels (the in-order queue still orders the
/// write after them), and the caller may reuse its array right away.
///
/// Completed copies are freed on the next write; when more than ``limitBytes`` are still in
/// flight the oldest are waited for; ``drain()`` (after a `clFinish` or a blocking read) frees all.
final class PendingWrites {
    private struct Write {
        let bytes: UnsafeMutableRawBufferPointer
        let event: cl_event
    }

    private var writes: [Write] = []
    private var bytesInFlight = 0
    /// The most bytes held in host copies before a write waits for older ones.
    let limitBytes: Int

    init(limitBytes: Int = 256 << 20) { self.limitBytes = limitBytes }

    /// Queues a copy of `source` into `buffer` at `offset` on `queue`.
    func enqueue(_ source: UnsafeRawBufferPointer, into buffer: Buffer, queue: Queue) throws {
        guard source.count > 0 else { return }
        reclaimCompleted()
        while bytesInFlight + source.count > limitBytes, let oldest = writes.first {
            var event: cl_event? = oldest.event
            _ = clWaitForEvents(1, &event)
            free(writes.removeFirst())
        }
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: source.count, alignment: 64)
        copy.copyMemory(from: source)
        var event: cl_event?
        do {
            try checkCL(clEnqueueWriteBuffer(queue.handle, buffer.handle, cl_bool(CL_FALSE), 0, source.count, copy.baseAddress, 0, nil, &event),
                        "clEnqueueWriteBuffer(\(source.count) bytes)")
        } catch {
            // A failed enqueue may still have queued the copy (an injected fault); wait before freeing.
            if let event { var wait: cl_event? = event; _ = clWaitForEvents(1, &wait); clReleaseEvent(event) }
            copy.deallocate()
            throw error
        }
        guard let event else {
            copy.deallocate()
            throw OpenCLError(status: CL_INVALID_EVENT, call: "clEnqueueWriteBuffer(\(source.count) bytes) returned no event")
        }
        writes.append(Write(bytes: copy, event: event))
        bytesInFlight += source.count
    }

    /// Frees every copy; call only once the queue has finished (after `clFinish` or a blocking read).
    func drain() {
        for write in writes {
            var event: cl_event? = write.event
            _ = clWaitForEvents(1, &event)
            release(write)
        }
        writes.removeAll()
        bytesInFlight = 0
    }

    private func reclaimCompleted() {
        while let oldest = writes.first {
            var status: cl_int = 0
            let query = clGetEventInfo(oldest.event, cl_event_info(CL_EVENT_COMMAND_EXECUTION_STATUS), MemoryLayout<cl_int>.size, &status, nil)
            // A negative status is an error: the write will not run any more, so its copy can go.
            guard query == CL_SUCCESS, status == CL_COMPLETE || status < 0 else { return }
            free(writes.removeFirst())
        }
    }

    private func free(_ write: Write) {
        release(write)
        bytesInFlight -= write.bytes.count
    }

    private func release(_ write: Write) {
        clReleaseEvent(write.event)
        write.bytes.deallocate()
    }

    deinit { drain() }
}
