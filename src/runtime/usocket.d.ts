// The part of usocket (unix sockets with SCM_RIGHTS) berth uses: a server that receives file descriptors.
declare module 'usocket' {
  import { EventEmitter } from 'node:events';
  import { Duplex } from 'node:stream';

  export class USocket extends Duplex {
    on(event: 'fds', listener: (fds: number[]) => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;
  }

  export class UServer extends EventEmitter {
    listen(path: string, callback?: () => void): void;
    close(): void;
    on(event: 'connection', listener: (socket: USocket) => void): this;
    on(event: 'error', listener: (err: Error) => void): this;
    on(event: string | symbol, listener: (...args: any[]) => void): this;
  }

  const usocket: { USocket: typeof USocket; UServer: typeof UServer };
  export default usocket;
}
