import { pino, type Logger } from 'pino';

/**
 * Structured JSON logs. Fields that could carry secrets are redacted wherever they appear, as a
 * second line of defence behind services that never log them in the first place.
 */
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino(
    {
      level,
      redact: {
        paths: [
          'req.headers.authorization',
          'req.headers.cookie',
          '*.password',
          '*.code',
          '*.secret',
          '*.token',
          '*.codes',
        ],
        censor: '[redacted]',
      },
    },
    destination as pino.DestinationStream | undefined,
  );
}
