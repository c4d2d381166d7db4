/** The errors of one field, referenced by the field's aria-describedby. The icon and text say it, not only the colour. */
export function FieldError({ id, errors }: { id: string; errors?: string[] }) {
  if (!errors || errors.length === 0) return null;
  return (
    <p id={id} className="mt-1 text-sm font-medium text-red-800">
      <span aria-hidden="true">⚠ </span>
      {errors.map((e) => e.charAt(0).toUpperCase() + e.slice(1)).join('. ')}
    </p>
  );
}
