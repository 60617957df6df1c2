/// Pipelines that ship inside the binary: the demo's pipeline and the starter templates, so `onramp demo` and
/// onboarding need no file from the source tree.
public enum BundledPipelines {
    /// examples/acme-orders.yaml, as the demo runs it (a test fails when the two differ).
    public static let acmeOrders = #"""
# ACME's ERP exports orders as semicolon-separated Windows-1252 CSV files, one file per day:
# an H row per order header followed by its L rows (lines), decimal commas, dates like 03.11.2026,
# state names spelled out. This pipeline turns each order into one TAXMAN transaction.
version: 1
name: acme-orders
source:
  connector: csv
  config:
    path: ${env:ACME_EXPORT_DIR}/orders-*.csv
    delimiter: ";"
    encoding: windows-1252
  incremental:
    mode: new_files
steps:
  - name: trim-and-type
    set:
      OrderNo: $trim(OrderNo)
      RecType: $uppercase($trim(RecType))
  - name: one-document-per-order
    group:
      by: OrderNo
      header: RecType = "H"
      into: lines
  - name: to-taxman-transaction
    map: |
      {
        "transactionId": "ACME-" & OrderNo,
        "type": "SalesInvoice",
        "date": $parseDate(OrderDate, "DD.MM.YYYY"),
        "currency": Currency,
        "customer": {
          "id": Customer,
          "exemptionCode": ExemptCode != "" ? ExemptCode : null
        },
        "shipTo": {
          "city": ShipCity,
          "region": $regionCode(ShipState),
          "postalCode": ShipZip,
          "country": ShipCountry
        },
        "lines": [lines.{
          "number": LineNo,
          "itemCode": ItemCode,
          "description": Description,
          "quantity": $parseDecimal(Qty, ","),
          "amount": $round($parseDecimal(Qty, ",") * $parseDecimal(UnitPrice, ","), 2),
          "discount": $parseDecimal(Discount, ","),
          "taxCode": TaxCode != "" ? TaxCode : undefined
        }]
      }
destination:
  connector: taxman
  config:
    base_url: ${env:TAXMAN_URL}
    api_key: ${env:TAXMAN_API_KEY}
    batch_size: 100
    concurrency: 4
results:
  format: ndjson
errors:
  max_failed_ratio: 0.05
"""#
}
