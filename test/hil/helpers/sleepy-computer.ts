/** A stand-in for the computer to wake, on 127.0.0.1: silent while asleep, answering once woken. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../fixtures/sleepy-computer.py', import.meta.url));

export interface SleepyComputer {
  port: number;
  /** Starts answering connections, as a computer that has booted. */
  wake(): void;
  close(): void;
}

export function startSleepyComputer(): Promise<SleepyComputer> {
  const child: ChildProcess = spawn('python3', [SCRIPT], { stdio: ['pipe', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    createInterface({ input: child.stdout! }).once('line', (line) => {
      resolve({
        port: Number(line),
        wake: () => void child.stdin!.write('wake\n'),
        close: () => {
          child.stdin!.end();
          child.kill();
        },
      });
    });
  });
}
