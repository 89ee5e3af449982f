/// Where finished records go: the one interface between the engine and every output (JSON lines to a descriptor,
/// a network exporter, a test's collector).
///
/// The engine calls ``write(_:)`` synchronously, in order within each stream, lending the record for the call. The
/// pipeline tells the output what it knows of each source (``describe(_:as:)``) before that source's first record
/// and whenever it changes, and when a source is gone (``release(_:)``), after which its id may be given to a new
/// source. An output that does not print sources may ignore both (the defaults do).
///
/// Errors are thrown, typed: an output that cannot fail has `Failure == Never` and the engine's calls compile to
/// plain calls. A thrown error ends the run that received it; records not yet acknowledged were not delivered, so
/// a checkpoint taken from ``Acknowledgements`` never passes them (at-least-once).
///
/// Delivery is confirmed apart from `write`: an output that makes records durable (written and flushed, or accepted
/// by a server) reports it through the ``Acknowledgements`` it was given, by ``Record/sequence``. Writing is not
/// delivery: a record handed to `write` may sit in a buffer until ``flush()``.
public protocol RecordOutput {
    associatedtype Failure: Error = Never

    /// Takes one record. `record.body` is valid only during the call.
    mutating func write(_ record: Record) throws(Failure)

    /// What is known of `source` now: its path, resource and attributes. Called before the source's first record
    /// and whenever the description changes; records written afterwards carry it.
    mutating func describe(_ source: SourceID, as info: SourceInfo) throws(Failure)

    /// The source is gone and none of its records are pending; its id may be described again for a new source.
    mutating func release(_ source: SourceID)

    /// Hands every record written so far on toward durability (writes buffered bytes, sends a batch). Outputs that
    /// acknowledge do so when what was flushed is durable, which may be later (a network round trip).
    mutating func flush() throws(Failure)

    /// How long from now until the output wants ``flush()`` called (a batch that will be old enough to send), or nil.
    /// A loop that waits for input wakes up by then.
    var flushDelay: Int64? { get }
}

extension RecordOutput {
    public mutating func describe(_ source: SourceID, as info: SourceInfo) throws(Failure) {}
    public mutating func release(_ source: SourceID) {}
    public mutating func flush() throws(Failure) {}
    public var flushDelay: Int64? { nil }
}
