import { LogLevel } from './abi';
import * as qt from './qt';

function write(level: LogLevel, message: string): void {
  const bytes = String.UTF8.encode(message);
  qt.log(level, changetype<usize>(bytes), bytes.byteLength);
}

/** Log lines go to the deployment's log in the dashboard; the host may rate-limit or truncate them. */
export namespace log {
  export function debug(message: string): void {
    write(LogLevel.debug, message);
  }
  export function info(message: string): void {
    write(LogLevel.info, message);
  }
  export function warn(message: string): void {
    write(LogLevel.warn, message);
  }
  export function error(message: string): void {
    write(LogLevel.error, message);
  }
}
