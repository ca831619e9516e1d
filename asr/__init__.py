"""Speech for the hotline: offline transcription of calls and urgent words in the IVR.

Entry points (everything else is internal):

- ``asr.utterance.UtteranceDecoder.from_settings(settings.asr)`` once per process, then
  ``decoder.decode(path) -> UtteranceResult(text, urgent_words, decode_seconds)`` from an
  executor thread (sync, thread-safe). Or ``decode_utterance(path, engine, spotter)``.
  ``decoder.warm_up(prompt_wav, streams)`` at start-up; ``decoder.live()`` for streamed audio.
- ``asr.keywords.UrgentSpotter.from_file(path).spot(text) -> UrgentMatch``.
- ``asr.classifier.CallClassifier.from_files(classifier, urgent).classify(text) -> Suggestion``.
- ``asr.transcript.transcribe_recording(engine, mix_path) -> Transcript`` (both legs,
  来电人 / 话务员); ``asr.pool.DecoderPool`` to run legs in parallel.
- ``asr.jobs.make_job_model(Base)``, ``JobQueue(sessions, model).enqueue(mix_path, ...)``,
  ``start_job_workers(queue, engine, settings.asr.worker_count(), stop)``.
- ``python -m asr models download NAME | models list | transcribe FILE...``.

asr/ never touches Asterisk, the network (except ``models download``, on command) or the
CRM's tables directly: the CRM binds the job model to its Base and owns the migrations.
"""
