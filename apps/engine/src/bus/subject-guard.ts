import {
  BusError,
  type ConsumerSpec,
  isValidPattern,
  patternWithin,
  subjectMatches,
  subjectToken,
  type Topic,
} from '@qt/shared';

/** A publish subject must be concrete (no wildcards, only safe tokens) and inside its topic. */
export function checkPublishSubject(topic: Topic<unknown>, subject: string): void {
  try {
    for (const tok of subject.split('.')) subjectToken('subject', tok);
  } catch (err) {
    throw new BusError('BUS_SUBJECT_INVALID', (err as Error).message);
  }
  if (!subjectMatches(topic.pattern, subject)) {
    throw new BusError(
      'BUS_SUBJECT_INVALID',
      `subject ${subject} is not within topic ${topic.name} (${topic.pattern})`,
    );
  }
}

/** A subscription may only reach its own topic's subjects, so a schema always fits what arrives. */
export function checkPattern(topic: Topic<unknown>, pattern: string): void {
  if (!isValidPattern(pattern) || !patternWithin(pattern, topic.pattern)) {
    throw new BusError(
      'BUS_SUBJECT_INVALID',
      `pattern ${JSON.stringify(pattern)} is not within topic ${topic.name} (${topic.pattern})`,
    );
  }
}

/** A durable consumer must read its topic's own stream, through a filter inside the topic. */
export function checkConsumer(topic: Topic<unknown>, spec: ConsumerSpec): void {
  if (spec.stream !== topic.stream) {
    throw new BusError(
      'BUS_UNKNOWN_STREAM',
      `consumer ${spec.durable} is on ${spec.stream}, topic ${topic.name} is on ${topic.stream}`,
    );
  }
  checkPattern(topic, spec.filterSubject);
}
