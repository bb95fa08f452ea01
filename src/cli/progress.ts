/**
 * Progress for the terminal. On a TTY one live line (done/total, current
 * document, ETA) is redrawn in place, with warnings and failures printed
 * above it; in CI or when piped, plain lines, one per event.
 */
import type { ProgressEvent } from '../config.js';

export interface Reporter {
  readonly onProgress: (event: ProgressEvent) => void;
  /** Clear the live line before the final summary. */
  end(): void;
}

export function progressReporter(write: (text: string) => void, live: boolean): Reporter {
  let started = 0;
  let line = '';
  const clear = () => {
    if (line) write('\r\x1b[2K');
  };
  const show = (text: string) => {
    clear();
    line = text;
    write(text);
  };
  const above = (text: string) => {
    clear();
    write(`${text}\n`);
    if (line) write(line);
  };

  return {
    onProgress(event) {
      switch (event.type) {
        case 'stage':
          if (!live) write(`· ${event.stage}\n`);
          break;
        case 'plan':
          started = Date.now();
          above(`  ${event.build} to build, ${event.unchanged} unchanged`);
          break;
        case 'warning':
          above(`  warning: ${event.message}`);
          break;
        case 'waiting':
          above(`  waiting: ${event.holder} is building into the same folder; this build starts when it ends`);
          break;
        case 'failed':
          above(`  ✗ ${event.path}: ${event.message}`);
          break;
        case 'queue':
          above(`  queue: ${event.message}`);
          break;
        case 'browser':
          if (event.generation > 1) above(`  browser relaunched (pid ${event.pid ?? '?'})`);
          break;
        case 'output': {
          if (!live) {
            write(`  ✓ ${event.path}  (${event.done}/${event.total})${event.worker ? `  on ${event.worker}` : ''}\n`);
            break;
          }
          const elapsed = (Date.now() - started) / 1000;
          const eta = event.done > 0 ? (elapsed / event.done) * (event.total - event.done) : 0;
          const width = 24;
          const filled = Math.round((event.done / event.total) * width);
          show(`  [${'='.repeat(filled)}${' '.repeat(width - filled)}] ${event.done}/${event.total}  ${event.path}  ETA ${clock(eta)}`);
          break;
        }
      }
    },
    end() {
      clear();
      line = '';
    },
  };
}

function clock(seconds: number): string {
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
