"""The QR codes in the PDFs decode to what the door and the verification page expect:
the ticket's check-in token, and the certificate's verification address."""
import io

import pypdfium2
import pytest
import zxingcpp

from gosmart.assemblies import services as registrations
from gosmart.auth.models import Role
from gosmart.certificates import services as certificates

from .test_assemblies import make_assembly, person
from .test_certificates import membership_certificate


def qr_codes(pdf, scale=3):
    """Every QR code on the first page of a PDF, rendered as a person's phone would see it."""
    page = pypdfium2.PdfDocument(io.BytesIO(pdf))[0]
    image = page.render(scale=scale).to_pil()
    return [r.text for r in zxingcpp.read_barcodes(image) if r.format == zxingcpp.BarcodeFormat.QRCode]


def test_ticket_qr_code_decodes_to_the_check_in_token(users, outbox):
    assembly = make_assembly()
    registration = registrations.register(assembly, users[Role.REPRESENTATIVE], **person(1))
    ticket = outbox[-1].attachments[0].data
    assert qr_codes(ticket) == [registration.checkin_token]


def test_certificate_qr_code_decodes_to_its_verification_page(users):
    certificate = membership_certificate(users[Role.REPRESENTATIVE].organization)
    assert qr_codes(certificates.pdf_of(certificate)) == [
        f"http://gosmart.test/verify/{certificate.printed_code}"]


def test_reissued_ticket_carries_the_new_token(users, outbox):
    assembly = make_assembly()
    registration = registrations.register(assembly, users[Role.REPRESENTATIVE], **person(2))
    old = registration.checkin_token
    registrations.reissue_token(registration, users[Role.REPRESENTATIVE])
    codes = qr_codes(outbox[-1].attachments[0].data)
    assert codes == [registration.checkin_token] and old not in codes
