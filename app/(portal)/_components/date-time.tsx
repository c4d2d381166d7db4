/**
 * A timestamp in UTC to the second, formatted on the server so every reader (and the hydrated
 * page) sees the same text. Date and time may wrap onto two lines, which keeps columns narrow.
 */
export function DateTime({ iso }: { iso: string }) {
  return (
    <time dateTime={iso}>
      <span className="whitespace-nowrap">{iso.slice(0, 10)}</span> <span className="whitespace-nowrap">{iso.slice(11, 19)} UTC</span>
    </time>
  );
}
