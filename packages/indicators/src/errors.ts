import { AppError } from '@qt/shared';

/**
 * Refused indicator parameters or an unknown indicator kind. Carries the stable VALIDATION_FAILED code so
 * the API maps it to a 400 in its one place, and a message that names the indicator, the parameter and the
 * accepted range.
 */
export class IndicatorParamsError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', message, details);
    this.name = 'IndicatorParamsError';
  }
}

/** Input series that cannot be fed to an indicator (missing high/low/volume, unequal lengths, no time). */
export class IndicatorInputError extends AppError {
  constructor(message: string, details?: Record<string, unknown>) {
    super('VALIDATION_FAILED', message, details);
    this.name = 'IndicatorInputError';
  }
}
