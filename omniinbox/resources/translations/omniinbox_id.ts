<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="id" sourcelanguage="en">
<context>
    <name>AccountsPage</name>
    <message>
        <source>Keep account secrets in a plain-text file readable only by me (not encrypted)</source>
        <translation>Simpan rahasia akun dalam berkas teks biasa yang hanya dapat dibaca oleh saya (tidak terenkripsi)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>Pemilik</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Add…</source>
        <translation>Tambah…</translation>
    </message>
    <message>
        <source>Remove…</source>
        <translation>Hapus…</translation>
    </message>
    <message>
        <source>No system keyring is available on this machine, so account secrets cannot be kept safely. Start or unlock your desktop&apos;s keyring (GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager), or keep them in a plain-text file readable only by you.</source>
        <translation>Komputer ini tidak memiliki keyring sistem, sehingga rahasia akun tidak dapat disimpan dengan aman. Jalankan atau buka kunci keyring desktop Anda (GNOME Keyring, KWallet, macOS Keychain, Windows Credential Manager), atau simpan rahasia dalam berkas teks biasa yang hanya dapat dibaca oleh Anda.</translation>
    </message>
    <message>
        <source>Account secrets are kept in %1. The cache keeps only their names.</source>
        <translation>Rahasia akun disimpan di %1. Cache hanya menyimpan namanya.</translation>
    </message>
    <message>
        <source>Leader</source>
        <translation>Pimpinan</translation>
    </message>
    <message>
        <source>Institution</source>
        <translation>Instansi</translation>
    </message>
    <message>
        <source>An official&apos;s personal account: replies there wait for approval</source>
        <translation>Akun pribadi pejabat: balasan di sana menunggu persetujuan</translation>
    </message>
    <message>
        <source>Removed</source>
        <translation>Dihapus</translation>
    </message>
    <message>
        <source>Failing: %1</source>
        <translation>Gagal: %1</translation>
    </message>
    <message>
        <source>Not synced yet</source>
        <translation>Belum disinkronkan</translation>
    </message>
    <message>
        <source>Synced %1</source>
        <translation>Disinkronkan %1</translation>
    </message>
    <message>
        <source>Remove the account</source>
        <translation>Hapus akun</translation>
    </message>
    <message>
        <source>Stop reading %1 and delete its secret from where it is kept? Its messages stay in the inbox.</source>
        <translation>Berhenti membaca %1 dan hapus rahasianya dari tempat penyimpanannya? Pesan-pesannya tetap ada di kotak masuk.</translation>
    </message>
</context>
<context>
    <name>AccountsPopup</name>
    <message>
        <source>Account</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Last sync</source>
        <translation>Sinkronisasi terakhir</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Keadaan</translation>
    </message>
    <message>
        <source>never</source>
        <translation>belum pernah</translation>
    </message>
</context>
<context>
    <name>AddAccountDialog</name>
    <message>
        <source>Add an account</source>
        <translation>Tambah akun</translation>
    </message>
    <message>
        <source>a short name: the handle, the address or the subdomain</source>
        <translation>nama singkat: nama pengguna, alamat, atau subdomain</translation>
    </message>
    <message>
        <source>as the team calls it (default: the short name)</source>
        <translation>sebutan tim untuk akun ini (bawaan: nama singkat)</translation>
    </message>
    <message>
        <source>Address</source>
        <translation>Alamat</translation>
    </message>
    <message>
        <source>the account&apos;s name on the platform (optional)</source>
        <translation>nama akun di platform (opsional)</translation>
    </message>
    <message>
        <source>A leader&apos;s personal account (replies wait for approval)</source>
        <translation>Akun pribadi pimpinan (balasan menunggu persetujuan)</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Short name</source>
        <translation>Nama singkat</translation>
    </message>
    <message>
        <source>Display name</source>
        <translation>Nama tampilan</translation>
    </message>
    <message>
        <source>Handle</source>
        <translation>Nama pengguna</translation>
    </message>
    <message>
        <source>Channel settings</source>
        <translation>Pengaturan kanal</translation>
    </message>
    <message>
        <source>Secret</source>
        <translation>Rahasia</translation>
    </message>
    <message>
        <source>Check</source>
        <translation>Periksa</translation>
    </message>
    <message>
        <source>Add</source>
        <translation>Tambah</translation>
    </message>
    <message>
        <source>No system keyring is available, so the secret cannot be kept safely. Turn on the plain-text file in Settings &gt; Accounts, or start your desktop&apos;s keyring.</source>
        <translation>Keyring sistem tidak tersedia, sehingga rahasia tidak dapat disimpan dengan aman. Aktifkan berkas teks biasa di Pengaturan &gt; Akun, atau jalankan keyring desktop Anda.</translation>
    </message>
    <message>
        <source>The secret will be kept in %1. The cache keeps only its name.</source>
        <translation>Rahasia akan disimpan di %1. Cache hanya menyimpan namanya.</translation>
    </message>
    <message>
        <source>Checking…</source>
        <translation>Memeriksa…</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ya</translation>
    </message>
    <message>
        <source>no</source>
        <translation>tidak</translation>
    </message>
    <message>
        <source>Signed in as: %1</source>
        <translation>Masuk sebagai: %1</translation>
    </message>
    <message>
        <source>Can read: %1</source>
        <translation>Dapat membaca: %1</translation>
    </message>
    <message>
        <source>Can reply: %1</source>
        <translation>Dapat membalas: %1</translation>
    </message>
    <message>
        <source>Note: %1</source>
        <translation>Catatan: %1</translation>
    </message>
    <message>
        <source>The check failed.</source>
        <translation>Pemeriksaan gagal.</translation>
    </message>
    <message>
        <source>The check failed: %1</source>
        <translation>Pemeriksaan gagal: %1</translation>
    </message>
    <message>
        <source>The account was not added: %1</source>
        <translation>Akun tidak ditambahkan: %1</translation>
    </message>
</context>
<context>
    <name>App</name>
    <message>
        <source>OmniInbox</source>
        <translation>OmniInbox</translation>
    </message>
    <message>
        <source>demo</source>
        <translation>demo</translation>
    </message>
</context>
<context>
    <name>AppearancePage</name>
    <message>
        <source>Follow the system</source>
        <translation>Ikuti sistem</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Terang</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Gelap</translation>
    </message>
    <message>
        <source>The system&apos;s language</source>
        <translation>Bahasa sistem</translation>
    </message>
    <message>
        <source>The language changes when OmniInbox is started again.</source>
        <translation>Bahasa berubah setelah OmniInbox dijalankan ulang.</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Tema</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Bahasa</translation>
    </message>
</context>
<context>
    <name>AuthorKolActions</name>
    <message>
        <source>Mark as KOL…</source>
        <translation>Tandai sebagai KOL…</translation>
    </message>
    <message>
        <source>Same person as…</source>
        <translation>Orang yang sama dengan…</translation>
    </message>
    <message>
        <source>Link this author with their identities on other channels</source>
        <translation>Tautkan penulis ini dengan identitasnya di kanal lain</translation>
    </message>
    <message>
        <source>Unmark KOL</source>
        <translation>Hapus tanda KOL</translation>
    </message>
    <message>
        <source>Mark as a key opinion leader</source>
        <translation>Tandai sebagai tokoh kunci (KOL)</translation>
    </message>
    <message>
        <source>%1 is a:</source>
        <translation>%1 adalah:</translation>
    </message>
    <message>
        <source>Marked as a key opinion leader.</source>
        <translation>Ditandai sebagai tokoh kunci (KOL).</translation>
    </message>
    <message>
        <source>No longer a key opinion leader.</source>
        <translation>Tidak lagi ditandai sebagai tokoh kunci (KOL).</translation>
    </message>
    <message>
        <source>Choose %1&apos;s other identities together with this one (#%2), then Link as one person.</source>
        <translation>Pilih identitas lain milik %1 bersama yang ini (#%2), lalu Tautkan sebagai satu orang.</translation>
    </message>
</context>
<context>
    <name>Chart</name>
    <message>
        <source>No data yet</source>
        <translation>Belum ada data</translation>
    </message>
</context>
<context>
    <name>Collab</name>
    <message>
        <source>Save search…</source>
        <translation>Simpan pencarian…</translation>
    </message>
    <message>
        <source>Save this search and its queue under a name (Ctrl+S in the search field)</source>
        <translation>Simpan pencarian ini beserta antreannya dengan sebuah nama (Ctrl+S di kolom pencarian)</translation>
    </message>
    <message>
        <source>Create ticket…</source>
        <translation>Buat tiket…</translation>
    </message>
    <message>
        <source>Save search</source>
        <translation>Simpan pencarian</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nama:</translation>
    </message>
    <message>
        <source>Search saved as “%1”</source>
        <translation>Pencarian disimpan sebagai “%1”</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Buka</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Ganti nama…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Hapus</translation>
    </message>
    <message>
        <source>Rename saved search</source>
        <translation>Ganti nama pencarian tersimpan</translation>
    </message>
    <message>
        <source>Nothing is selected</source>
        <translation>Tidak ada yang dipilih</translation>
    </message>
    <message>
        <source>There is no Zendesk, Freshdesk or Zammad account to create a ticket on</source>
        <translation>Tidak ada akun Zendesk, Freshdesk, atau Zammad untuk membuat tiket</translation>
    </message>
    <message>
        <source>Ticket queued; the conversation went to the contact center</source>
        <translation>Tiket diantrekan; percakapan dialihkan ke contact center</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Take over</source>
        <translation>Ambil alih</translation>
    </message>
    <message>
        <source>Reply yourself; the team hub records that you took it over</source>
        <translation>Balas sendiri; hub tim mencatat bahwa Anda mengambil alih</translation>
    </message>
    <message>
        <source>%1 is replying</source>
        <translation>%1 sedang membalas</translation>
    </message>
    <message>
        <source>Write a reply… (Ctrl+Enter sends)</source>
        <translation>Tulis balasan… (Ctrl+Enter untuk mengirim)</translation>
    </message>
    <message>
        <source>Private note</source>
        <translation>Catatan pribadi</translation>
    </message>
    <message>
        <source>Not a public reply: an internal note or a direct message, as the channel has it</source>
        <translation>Bukan balasan publik: catatan internal atau pesan langsung, sesuai kanalnya</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Kirim</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Reason</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Balasan</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>Dalam antrean</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Coba lagi</translation>
    </message>
    <message>
        <source>Cancel reply</source>
        <translation>Batalkan balasan</translation>
    </message>
    <message>
        <source>Replies in the outbox</source>
        <translation>Balasan di kotak keluar</translation>
    </message>
    <message>
        <source>%1 is a leader&apos;s personal account: a reply waits for a supervisor&apos;s approval.</source>
        <translation>%1 adalah akun pribadi pimpinan: balasan menunggu persetujuan supervisor.</translation>
    </message>
    <message>
        <source>Canned responses…</source>
        <translation>Templat jawaban…</translation>
    </message>
    <message>
        <source>%1 characters</source>
        <translation>%1 karakter</translation>
    </message>
</context>
<context>
    <name>ConversationPane</name>
    <message>
        <source>When</source>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Earlier messages from this person, on any channel:</source>
        <translation>Pesan sebelumnya dari orang ini, di kanal mana pun:</translation>
    </message>
    <message>
        <source>Who</source>
        <translation>Siapa</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>An internal note for colleagues</source>
        <translation>Catatan internal untuk rekan kerja</translation>
    </message>
    <message>
        <source>Add note</source>
        <translation>Tambah catatan</translation>
    </message>
    <message>
        <source>What</source>
        <translation>Apa</translation>
    </message>
    <message>
        <source>On</source>
        <translation>Pada</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Rincian</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Balas</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>Penulis</translation>
    </message>
    <message>
        <source>Notes</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>History</source>
        <translation>Riwayat</translation>
    </message>
    <message>
        <source>No conversation open</source>
        <translation>Tidak ada percakapan yang terbuka</translation>
    </message>
    <message>
        <source>Choose an item in the list (j/k to move, Enter to open).</source>
        <translation>Pilih pesan di daftar (j/k untuk berpindah, Enter untuk membuka).</translation>
    </message>
    <message>
        <source>priority %1</source>
        <translation>prioritas %1</translation>
    </message>
    <message>
        <source>assigned to %1</source>
        <translation>ditugaskan kepada %1</translation>
    </message>
    <message>
        <source>unassigned</source>
        <translation>belum ditugaskan</translation>
    </message>
    <message>
        <source>SLA: %1</source>
        <translation>SLA: %1</translation>
    </message>
    <message>
        <source>until %1</source>
        <translation>sampai %1</translation>
    </message>
    <message>
        <source>No known author (our own message, or an import without one)</source>
        <translation>Penulis tidak diketahui (pesan kita sendiri, atau impor tanpa penulis)</translation>
    </message>
    <message>
        <source>Channels: %1</source>
        <translation>Kanal: %1</translation>
    </message>
    <message>
        <source>Followers: %1</source>
        <translation>Pengikut: %1</translation>
    </message>
    <message>
        <source>Verified account</source>
        <translation>Akun terverifikasi</translation>
    </message>
    <message>
        <source>Key opinion leader (KOL)</source>
        <translation>Tokoh kunci (KOL)</translation>
    </message>
    <message>
        <source>Reply saved; it waits for a supervisor&apos;s approval</source>
        <translation>Balasan disimpan; menunggu persetujuan supervisor</translation>
    </message>
    <message>
        <source>Reply queued; it is sent with the next sync</source>
        <translation>Balasan masuk antrean; dikirim pada sinkronisasi berikutnya</translation>
    </message>
</context>
<context>
    <name>Format</name>
    <message>
        <source>Email</source>
        <translation>Email</translation>
    </message>
    <message>
        <source>Zendesk</source>
        <translation>Zendesk</translation>
    </message>
    <message>
        <source>Freshdesk</source>
        <translation>Freshdesk</translation>
    </message>
    <message>
        <source>Zammad</source>
        <translation>Zammad</translation>
    </message>
    <message>
        <source>Chatwoot</source>
        <translation>Chatwoot</translation>
    </message>
    <message>
        <source>X</source>
        <translation>X</translation>
    </message>
    <message>
        <source>Facebook</source>
        <translation>Facebook</translation>
    </message>
    <message>
        <source>Instagram</source>
        <translation>Instagram</translation>
    </message>
    <message>
        <source>YouTube</source>
        <translation>YouTube</translation>
    </message>
    <message>
        <source>Mastodon</source>
        <translation>Mastodon</translation>
    </message>
    <message>
        <source>Telegram</source>
        <translation>Telegram</translation>
    </message>
    <message>
        <source>WhatsApp</source>
        <translation>WhatsApp</translation>
    </message>
    <message>
        <source>Listening</source>
        <translation>Pemantauan media</translation>
    </message>
    <message>
        <source>Social media</source>
        <translation>Media sosial</translation>
    </message>
    <message>
        <source>Contact center</source>
        <translation>Pusat layanan</translation>
    </message>
    <message>
        <source>SM</source>
        <translation>MS</translation>
    </message>
    <message>
        <source>CC</source>
        <translation>PL</translation>
    </message>
    <message>
        <source>Promote</source>
        <translation>Promosi</translation>
    </message>
    <message>
        <source>Protect</source>
        <translation>Proteksi</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Terbuka</translation>
    </message>
    <message>
        <source>Pending</source>
        <translation>Menunggu</translation>
    </message>
    <message>
        <source>Snoozed</source>
        <translation>Ditunda</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Ditutup</translation>
    </message>
    <message>
        <source>Low</source>
        <translation>Rendah</translation>
    </message>
    <message>
        <source>Normal</source>
        <translation>Normal</translation>
    </message>
    <message>
        <source>High</source>
        <translation>Tinggi</translation>
    </message>
    <message>
        <source>Urgent</source>
        <translation>Mendesak</translation>
    </message>
    <message>
        <source>Awaiting approval</source>
        <translation>Menunggu persetujuan</translation>
    </message>
    <message>
        <source>Queued</source>
        <translation>Dalam antrean</translation>
    </message>
    <message>
        <source>Sending</source>
        <translation>Sedang dikirim</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Terkirim</translation>
    </message>
    <message>
        <source>Failed</source>
        <translation>Gagal</translation>
    </message>
    <message>
        <source>Cancelled</source>
        <translation>Dibatalkan</translation>
    </message>
    <message>
        <source>Post</source>
        <translation>Unggahan</translation>
    </message>
    <message>
        <source>Comment</source>
        <translation>Komentar</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Balasan</translation>
    </message>
    <message>
        <source>Mention</source>
        <translation>Sebutan</translation>
    </message>
    <message>
        <source>Direct message</source>
        <translation>Pesan langsung</translation>
    </message>
    <message>
        <source>Ticket</source>
        <translation>Tiket</translation>
    </message>
    <message>
        <source>Ticket comment</source>
        <translation>Komentar tiket</translation>
    </message>
    <message>
        <source>B</source>
        <translation> M</translation>
    </message>
    <message>
        <source>M</source>
        <translation> jt</translation>
    </message>
    <message>
        <source>k</source>
        <translation> rb</translation>
    </message>
    <message>
        <source>%ns</source>
        <translation>%n dtk</translation>
    </message>
    <message>
        <source>%nm</source>
        <translation>%n mnt</translation>
    </message>
    <message>
        <source>%nh</source>
        <translation>%n jam</translation>
    </message>
    <message>
        <source>%nd</source>
        <translation>%n hr</translation>
    </message>
    <message>
        <source>now</source>
        <translation>baru saja</translation>
    </message>
    <message>
        <source>met</source>
        <translation>terpenuhi</translation>
    </message>
    <message>
        <source>overdue %1</source>
        <translation>terlambat %1</translation>
    </message>
    <message>
        <source>due in %1</source>
        <translation>sisa %1</translation>
    </message>
</context>
<context>
    <name>ItemActions</name>
    <message>
        <source>Nothing is selected</source>
        <translation>Tidak ada yang dipilih</translation>
    </message>
    <message>
        <source>%1: %2 on %3 items changed</source>
        <translation>%1: %2 diubah pada %3 pesan</translation>
    </message>
    <message>
        <source>%1 conversations assigned</source>
        <translation>%1 percakapan ditugaskan</translation>
    </message>
    <message>
        <source>Assign to me</source>
        <translation>Tugaskan kepada saya</translation>
    </message>
    <message>
        <source>Unassign</source>
        <translation>Batalkan penugasan</translation>
    </message>
    <message>
        <source>Priority raised; there is no supervisor to hand it to</source>
        <translation>Prioritas dinaikkan; tidak ada supervisor untuk menerimanya</translation>
    </message>
    <message>
        <source>Escalated to %1</source>
        <translation>Dieskalasi ke %1</translation>
    </message>
    <message>
        <source>%1 conversations now %2</source>
        <translation>%1 percakapan kini berstatus %2</translation>
    </message>
    <message>
        <source>Snooze until</source>
        <translation>Tunda sampai</translation>
    </message>
    <message>
        <source>Wake the conversation up at:</source>
        <translation>Munculkan kembali percakapan pada:</translation>
    </message>
    <message>
        <source>%1 conversations now %2 priority</source>
        <translation>%1 percakapan kini berprioritas %2</translation>
    </message>
    <message>
        <source>Label “%1” added to %2 items</source>
        <translation>Label “%1” ditambahkan ke %2 pesan</translation>
    </message>
    <message>
        <source>Label</source>
        <translation>Label</translation>
    </message>
    <message>
        <source>Label for the selected items:</source>
        <translation>Label untuk pesan yang dipilih:</translation>
    </message>
    <message>
        <source>Note added to %1 conversations</source>
        <translation>Catatan ditambahkan ke %1 percakapan</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>A note for colleagues, on each selected conversation:</source>
        <translation>Catatan untuk rekan kerja, pada setiap percakapan yang dipilih:</translation>
    </message>
    <message>
        <source>%1 conversations handed to %2</source>
        <translation>%1 percakapan diserahkan kepada %2</translation>
    </message>
    <message>
        <source>Hand off to %1</source>
        <translation>Serahkan kepada %1</translation>
    </message>
    <message>
        <source>Why should %1 take it? (the note goes with it)</source>
        <translation>Mengapa %1 perlu menanganinya? (catatan ikut diserahkan)</translation>
    </message>
    <message>
        <source>%1 marked read</source>
        <translation>%1 ditandai sudah dibaca</translation>
    </message>
    <message>
        <source>%1 marked unread</source>
        <translation>%1 ditandai belum dibaca</translation>
    </message>
</context>
<context>
    <name>ItemDelegate</name>
    <message>
        <source>KOL</source>
        <translation>KOL</translation>
    </message>
    <message>
        <source>Leader</source>
        <translation>Pimpinan</translation>
    </message>
</context>
<context>
    <name>ItemListModel</name>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>Penulis</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>Age</source>
        <translation>Usia</translation>
    </message>
    <message>
        <source>Promote / Protect</source>
        <translation>Promosi / Proteksi</translation>
    </message>
    <message>
        <source>Assignee</source>
        <translation>Petugas</translation>
    </message>
    <message>
        <source>SLA</source>
        <translation>SLA</translation>
    </message>
    <message>
        <source>Shown first: its conversation is in an issue that must be answered.</source>
        <translation>Ditampilkan lebih dulu: percakapannya termasuk dalam isu yang wajib dijawab.</translation>
    </message>
    <message>
        <source>(not available)</source>
        <translation>(tidak tersedia)</translation>
    </message>
    <message>
        <source>Loading…</source>
        <translation>Memuat…</translation>
    </message>
    <message>
        <source>%1 followers</source>
        <translation>%1 pengikut</translation>
    </message>
    <message>
        <source>key opinion leader</source>
        <translation>tokoh kunci (KOL)</translation>
    </message>
    <message>
        <source>%1: a leader&apos;s personal account; replies wait for approval</source>
        <translation>%1: akun pribadi pimpinan; balasan menunggu persetujuan</translation>
    </message>
</context>
<context>
    <name>KolRegistryDialog</name>
    <message>
        <source>Journalist</source>
        <translation>Jurnalis</translation>
    </message>
    <message>
        <source>Official</source>
        <translation>Pejabat</translation>
    </message>
    <message>
        <source>Influencer</source>
        <translation>Influencer</translation>
    </message>
    <message>
        <source>Media</source>
        <translation>Media</translation>
    </message>
    <message>
        <source>Key opinion leaders</source>
        <translation>Tokoh kunci (KOL)</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>Handles</source>
        <translation>Nama pengguna</translation>
    </message>
    <message>
        <source>Followers</source>
        <translation>Pengikut</translation>
    </message>
    <message>
        <source>Kind</source>
        <translation>Jenis</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Last seen</source>
        <translation>Terakhir terlihat</translation>
    </message>
    <message>
        <source>Unmark</source>
        <translation>Hapus tanda</translation>
    </message>
    <message>
        <source>Take the chosen people (every linked identity) out of the registry</source>
        <translation>Keluarkan orang yang dipilih (semua identitas tertautnya) dari daftar</translation>
    </message>
    <message>
        <source>Unlink identities…</source>
        <translation>Lepaskan tautan identitas…</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Handle</source>
        <translation>Nama pengguna</translation>
    </message>
    <message>
        <source>Verified</source>
        <translation>Terverifikasi</translation>
    </message>
    <message>
        <source>Suggested as</source>
        <translation>Disarankan sebagai</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>Accept as KOL</source>
        <translation>Terima sebagai KOL</translation>
    </message>
    <message>
        <source>Dismiss</source>
        <translation>Abaikan</translation>
    </message>
    <message>
        <source>Not a key opinion leader: not suggested again</source>
        <translation>Bukan tokoh kunci: tidak disarankan lagi</translation>
    </message>
    <message>
        <source>Kind:</source>
        <translation>Jenis:</translation>
    </message>
    <message>
        <source>A name or a handle (e.g. Kabar Cempaka), or #contact number</source>
        <translation>Nama atau nama pengguna (mis. Kabar Cempaka), atau #nomor kontak</translation>
    </message>
    <message>
        <source>Find</source>
        <translation>Cari</translation>
    </message>
    <message>
        <source>KOL</source>
        <translation>KOL</translation>
    </message>
    <message>
        <source>Linked to</source>
        <translation>Tertaut ke</translation>
    </message>
    <message>
        <source>Choose the same person&apos;s identities on several channels (Ctrl+click) and link them: a key opinion leader&apos;s mark then covers every one of them.</source>
        <translation>Pilih identitas orang yang sama di beberapa kanal (Ctrl+klik) lalu tautkan: tanda tokoh kunci kemudian berlaku untuk semuanya.</translation>
    </message>
    <message>
        <source>Link as one person</source>
        <translation>Tautkan sebagai satu orang</translation>
    </message>
    <message>
        <source>Unlink</source>
        <translation>Lepaskan tautan</translation>
    </message>
    <message>
        <source>Mark as KOL</source>
        <translation>Tandai sebagai KOL</translation>
    </message>
    <message>
        <source>Registry</source>
        <translation>Daftar</translation>
    </message>
    <message>
        <source>Suggestions</source>
        <translation>Saran</translation>
    </message>
    <message>
        <source>Find and link people</source>
        <translation>Cari dan tautkan orang</translation>
    </message>
    <message>
        <source>yes</source>
        <translation>ya</translation>
    </message>
    <message>
        <source>no</source>
        <translation>tidak</translation>
    </message>
    <message>
        <source>Suggestions (%1)</source>
        <translation>Saran (%1)</translation>
    </message>
    <message>
        <source>No one found by that name or handle.</source>
        <translation>Tidak ada yang ditemukan dengan nama atau nama pengguna itu.</translation>
    </message>
    <message>
        <source>Choose one or more rows first.</source>
        <translation>Pilih satu baris atau lebih terlebih dahulu.</translation>
    </message>
    <message>
        <source>No longer key opinion leaders: %1.</source>
        <translation>Tidak lagi tokoh kunci: %1.</translation>
    </message>
    <message>
        <source>Marked as key opinion leaders (%1): %2.</source>
        <translation>Ditandai sebagai tokoh kunci (%1): %2.</translation>
    </message>
    <message>
        <source>Dismissed; not suggested again.</source>
        <translation>Diabaikan; tidak disarankan lagi.</translation>
    </message>
    <message>
        <source>%1 identities linked as one person.</source>
        <translation>%1 identitas ditautkan sebagai satu orang.</translation>
    </message>
    <message>
        <source>Choose at least two identities of the same person to link.</source>
        <translation>Pilih paling sedikit dua identitas dari orang yang sama untuk ditautkan.</translation>
    </message>
    <message>
        <source>Unlinked: each is a person of their own again.</source>
        <translation>Tautan dilepas: masing-masing kembali menjadi orang tersendiri.</translation>
    </message>
    <message>
        <source>Choose linked identities to unlink.</source>
        <translation>Pilih identitas tertaut yang akan dilepas tautannya.</translation>
    </message>
    <message>
        <source>Choose one person with linked identities.</source>
        <translation>Pilih satu orang yang memiliki identitas tertaut.</translation>
    </message>
    <message>
        <source>Unlink an identity</source>
        <translation>Lepaskan tautan sebuah identitas</translation>
    </message>
    <message>
        <source>Identity:</source>
        <translation>Identitas:</translation>
    </message>
</context>
<context>
    <name>ListPanel</name>
    <message>
        <source>Nothing matches “%1”.</source>
        <translation>Tidak ada yang cocok dengan “%1”.</translation>
    </message>
    <message>
        <source>Nothing here.</source>
        <translation>Tidak ada apa-apa di sini.</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>OmniInbox</source>
        <translation>OmniInbox</translation>
    </message>
    <message>
        <source>Inbox</source>
        <translation>Kotak Masuk</translation>
    </message>
    <message>
        <source>Search messages  ( / )</source>
        <translation>Cari pesan  ( / )</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Cari</translation>
    </message>
    <message>
        <source>Working as: </source>
        <translation>Bekerja sebagai: </translation>
    </message>
    <message>
        <source>Signed in as %1</source>
        <translation>Masuk sebagai %1</translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Berkas</translation>
    </message>
    <message>
        <source>&amp;Settings…</source>
        <translation>&amp;Pengaturan…</translation>
    </message>
    <message>
        <source>&amp;Item</source>
        <translation>&amp;Pesan</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Priority</source>
        <translation>Prioritas</translation>
    </message>
    <message>
        <source>&amp;View</source>
        <translation>&amp;Tampilan</translation>
    </message>
    <message>
        <source>&amp;Key opinion leaders…</source>
        <translation>&amp;Tokoh kunci (KOL)…</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>Ban&amp;tuan</translation>
    </message>
</context>
<context>
    <name>NotificationsPage</name>
    <message>
        <source>When an issue must be answered</source>
        <translation>Saat sebuah isu wajib dijawab</translation>
    </message>
    <message>
        <source>When a reply could not be sent</source>
        <translation>Saat balasan gagal dikirim</translation>
    </message>
    <message>
        <source>When a conversation is assigned to me</source>
        <translation>Saat sebuah percakapan ditugaskan kepada saya</translation>
    </message>
    <message>
        <source>Show a desktop notification:</source>
        <translation>Tampilkan notifikasi desktop:</translation>
    </message>
</context>
<context>
    <name>PeopleModel</name>
    <message>
        <source>Person</source>
        <translation>Orang</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Terbuka</translation>
    </message>
    <message>
        <source>Overdue</source>
        <translation>Terlambat</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Ditutup</translation>
    </message>
    <message>
        <source>No team</source>
        <translation>Tanpa tim</translation>
    </message>
    <message>
        <source>%1: %2 people. Drop items here to leave them unassigned.</source>
        <translation>%1: %2 orang. Letakkan pesan di sini agar tidak ditugaskan kepada siapa pun.</translation>
    </message>
    <message>
        <source>%1 (%2): %3 open, %4 overdue, %5 closed, %6 snoozed</source>
        <translation>%1 (%2): %3 terbuka, %4 terlambat, %5 ditutup, %6 ditunda</translation>
    </message>
</context>
<context>
    <name>PeopleView</name>
    <message>
        <source>People and their conversations</source>
        <translation>Petugas dan percakapannya</translation>
    </message>
</context>
<context>
    <name>QKeySequenceEdit</name>
    <message>
        <source>Press shortcut</source>
        <translation>Tekan tombol pintasan</translation>
    </message>
</context>
<context>
    <name>QLineEdit</name>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Urungkan</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Ulangi</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>Po&amp;tong</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Salin</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>T&amp;empel</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Hapus</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>Pilih semua</translation>
    </message>
</context>
<context>
    <name>QMessageBox</name>
    <message>
        <source>Show Details...</source>
        <translation>Tampilkan rincian...</translation>
    </message>
    <message>
        <source>Hide Details...</source>
        <translation>Sembunyikan rincian...</translation>
    </message>
</context>
<context>
    <name>QPlatformTheme</name>
    <message>
        <source>OK</source>
        <translation>OK</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Simpan</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Buka</translation>
    </message>
    <message>
        <source>&amp;Yes</source>
        <translation>&amp;Ya</translation>
    </message>
    <message>
        <source>&amp;No</source>
        <translation>&amp;Tidak</translation>
    </message>
    <message>
        <source>Abort</source>
        <translation>Hentikan</translation>
    </message>
    <message>
        <source>Retry</source>
        <translation>Coba lagi</translation>
    </message>
    <message>
        <source>Ignore</source>
        <translation>Abaikan</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Batal</translation>
    </message>
    <message>
        <source>Discard</source>
        <translation>Buang</translation>
    </message>
    <message>
        <source>Help</source>
        <translation>Bantuan</translation>
    </message>
    <message>
        <source>Apply</source>
        <translation>Terapkan</translation>
    </message>
    <message>
        <source>Reset</source>
        <translation>Atur ulang</translation>
    </message>
    <message>
        <source>Restore Defaults</source>
        <translation>Kembalikan ke bawaan</translation>
    </message>
</context>
<context>
    <name>QWidgetTextControl</name>
    <message>
        <source>&amp;Undo</source>
        <translation>&amp;Urungkan</translation>
    </message>
    <message>
        <source>&amp;Redo</source>
        <translation>&amp;Ulangi</translation>
    </message>
    <message>
        <source>Cu&amp;t</source>
        <translation>Po&amp;tong</translation>
    </message>
    <message>
        <source>&amp;Copy</source>
        <translation>&amp;Salin</translation>
    </message>
    <message>
        <source>&amp;Paste</source>
        <translation>T&amp;empel</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Hapus</translation>
    </message>
    <message>
        <source>Select All</source>
        <translation>Pilih semua</translation>
    </message>
    <message>
        <source>Copy &amp;Link Location</source>
        <translation>Salin alamat &amp;tautan</translation>
    </message>
</context>
<context>
    <name>Queues</name>
    <message>
        <source>All</source>
        <translation>Semua</translation>
    </message>
    <message>
        <source>Mine</source>
        <translation>Milik saya</translation>
    </message>
    <message>
        <source>Unassigned</source>
        <translation>Belum ditugaskan</translation>
    </message>
    <message>
        <source>Needs answer</source>
        <translation>Perlu dijawab</translation>
    </message>
    <message>
        <source>Promote</source>
        <translation>Promosi</translation>
    </message>
    <message>
        <source>Protect</source>
        <translation>Proteksi</translation>
    </message>
    <message>
        <source>Snoozed</source>
        <translation>Ditunda</translation>
    </message>
    <message>
        <source>Closed</source>
        <translation>Ditutup</translation>
    </message>
</context>
<context>
    <name>RadarPage</name>
    <message>
        <source>answered %1</source>
        <translation>dijawab %1</translation>
    </message>
    <message>
        <source>must answer</source>
        <translation>wajib dijawab</translation>
    </message>
    <message>
        <source>overdue by %1</source>
        <translation>terlambat %1</translation>
    </message>
    <message>
        <source>due in %1 (%2)</source>
        <translation>tenggat dalam %1 (%2)</translation>
    </message>
    <message>
        <source>Level</source>
        <translation>Tingkat</translation>
    </message>
    <message>
        <source>Issue</source>
        <translation>Isu</translation>
    </message>
    <message>
        <source>Why this level</source>
        <translation>Alasan tingkat ini</translation>
    </message>
    <message>
        <source>Must answer</source>
        <translation>Wajib dijawab</translation>
    </message>
    <message>
        <source>Owner</source>
        <translation>Penanggung jawab</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Authors</source>
        <translation>Penulis</translation>
    </message>
    <message>
        <source>KOLs</source>
        <translation>KOL</translation>
    </message>
    <message>
        <source>Deadline: %1</source>
        <translation>Tenggat: %1</translation>
    </message>
    <message>
        <source>Issue #%1</source>
        <translation>Isu #%1</translation>
    </message>
    <message>
        <source>nobody yet</source>
        <translation>belum ada</translation>
    </message>
    <message>
        <source>Level %1</source>
        <translation>Tingkat %1</translation>
    </message>
    <message>
        <source>Items per hour over the last 24 hours (peak %1)</source>
        <translation>Pesan per jam dalam 24 jam terakhir (puncak %1)</translation>
    </message>
    <message>
        <source>Show the issue</source>
        <translation>Tampilkan isu</translation>
    </message>
    <message>
        <source>Acknowledge</source>
        <translation>Tandai sudah dilihat</translation>
    </message>
    <message>
        <source>Tell the other supervisors you have seen it</source>
        <translation>Beri tahu supervisor lain bahwa Anda sudah melihatnya</translation>
    </message>
    <message>
        <source>Hide this notice</source>
        <translation>Sembunyikan pemberitahuan ini</translation>
    </message>
    <message>
        <source>Must answer: %1</source>
        <translation>Wajib dijawab: %1</translation>
    </message>
    <message>
        <source>(and %1 more)</source>
        <translation>(dan %1 lainnya)</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>Penulis</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>When</source>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>Content</source>
        <translation>Konten</translation>
    </message>
    <message>
        <source>Key terms:</source>
        <translation>Kata kunci:</translation>
    </message>
    <message>
        <source>Representative item:</source>
        <translation>Pesan yang mewakili:</translation>
    </message>
    <message>
        <source>Promote/Protect:</source>
        <translation>Promosi/Proteksi:</translation>
    </message>
    <message>
        <source>Context</source>
        <translation>Konteks</translation>
    </message>
    <message>
        <source>Channels:</source>
        <translation>Kanal:</translation>
    </message>
    <message>
        <source>Accounts:</source>
        <translation>Akun:</translation>
    </message>
    <message>
        <source>Leaders&apos; accounts:</source>
        <translation>Akun pimpinan:</translation>
    </message>
    <message>
        <source>First seen:</source>
        <translation>Pertama terlihat:</translation>
    </message>
    <message>
        <source>Started from:</source>
        <translation>Bermula dari:</translation>
    </message>
    <message>
        <source>Public interest</source>
        <translation>Perhatian publik</translation>
    </message>
    <message>
        <source>Distinct authors:</source>
        <translation>Penulis berbeda:</translation>
    </message>
    <message>
        <source>Key opinion leaders:</source>
        <translation>Tokoh kunci (KOL):</translation>
    </message>
    <message>
        <source>Engagement:</source>
        <translation>Keterlibatan:</translation>
    </message>
    <message>
        <source>Velocity:</source>
        <translation>Kecepatan:</translation>
    </message>
    <message>
        <source>Spread:</source>
        <translation>Sebaran:</translation>
    </message>
    <message>
        <source>Open</source>
        <translation>Buka</translation>
    </message>
    <message>
        <source>Why: the three measures</source>
        <translation>Alasan: tiga ukuran</translation>
    </message>
    <message>
        <source>Choose an issue to see why it is on the radar.</source>
        <translation>Pilih sebuah isu untuk melihat mengapa isu itu ada di radar.</translation>
    </message>
    <message>
        <source>closed</source>
        <translation>ditutup</translation>
    </message>
    <message>
        <source>open</source>
        <translation>terbuka</translation>
    </message>
    <message>
        <source>owner: %1</source>
        <translation>penanggung jawab: %1</translation>
    </message>
    <message>
        <source>Protect %1 · Promote %2</source>
        <translation>Proteksi %1 · Promosi %2</translation>
    </message>
    <message>
        <source>suggested: %1</source>
        <translation>saran: %1</translation>
    </message>
    <message>
        <source>and %1 more</source>
        <translation>dan %1 lainnya</translation>
    </message>
    <message>
        <source>none</source>
        <translation>tidak ada</translation>
    </message>
    <message>
        <source>%1 likes, shares and replies; %2 views</source>
        <translation>%1 suka, bagikan, dan balasan; %2 tayangan</translation>
    </message>
    <message>
        <source>rising</source>
        <translation>naik</translation>
    </message>
    <message>
        <source>falling</source>
        <translation>turun</translation>
    </message>
    <message>
        <source>steady</source>
        <translation>stabil</translation>
    </message>
    <message>
        <source>%1 items/hour, %2 (%3 before)</source>
        <translation>%1 pesan/jam, %2 (sebelumnya %3)</translation>
    </message>
    <message>
        <source>%1 channels; busiest stretch: %2 authors on %3 channels</source>
        <translation>%1 kanal; periode tersibuk: %2 penulis di %3 kanal</translation>
    </message>
    <message>
        <source>Items: %1</source>
        <translation>Pesan: %1</translation>
    </message>
    <message>
        <source>(the newest %1 shown)</source>
        <translation>(ditampilkan %1 yang terbaru)</translation>
    </message>
    <message>
        <source>double-click an item to open its conversation</source>
        <translation>klik dua kali sebuah pesan untuk membuka percakapannya</translation>
    </message>
    <message>
        <source>Items (%1)</source>
        <translation>Pesan (%1)</translation>
    </message>
    <message>
        <source>Statement for every channel: %1</source>
        <translation>Pernyataan untuk semua kanal: %1</translation>
    </message>
    <message>
        <source>No statement yet: draft one to answer on every channel at once.</source>
        <translation>Belum ada pernyataan: susun satu untuk menjawab di semua kanal sekaligus.</translation>
    </message>
    <message>
        <source>draft, waiting for a supervisor&apos;s approval</source>
        <translation>draf, menunggu persetujuan supervisor</translation>
    </message>
    <message>
        <source>approved, not sent yet</source>
        <translation>disetujui, belum dikirim</translation>
    </message>
    <message>
        <source>sent out to every channel</source>
        <translation>sudah dikirim ke semua kanal</translation>
    </message>
    <message>
        <source>withdrawn</source>
        <translation>ditarik</translation>
    </message>
    <message>
        <source>Deadline</source>
        <translation>Tenggat</translation>
    </message>
    <message>
        <source>Answer on every channel by:</source>
        <translation>Jawab di semua kanal paling lambat:</translation>
    </message>
    <message>
        <source>the last 24 hours</source>
        <translation>24 jam terakhir</translation>
    </message>
    <message>
        <source>the last 7 days</source>
        <translation>7 hari terakhir</translation>
    </message>
    <message>
        <source>the last 30 days</source>
        <translation>30 hari terakhir</translation>
    </message>
    <message>
        <source>any time</source>
        <translation>kapan saja</translation>
    </message>
    <message>
        <source>Issue radar</source>
        <translation>Radar isu</translation>
    </message>
    <message>
        <source>Closed issues too</source>
        <translation>Termasuk isu yang ditutup</translation>
    </message>
    <message>
        <source>Active in:</source>
        <translation>Aktif dalam:</translation>
    </message>
    <message>
        <source>open issues</source>
        <translation>isu terbuka</translation>
    </message>
    <message>
        <source>key opinion leaders involved</source>
        <translation>tokoh kunci (KOL) terlibat</translation>
    </message>
    <message>
        <source>items in public-interest issues</source>
        <translation>pesan dalam isu yang menjadi perhatian publik</translation>
    </message>
    <message>
        <source>Draft statement…</source>
        <translation>Susun pernyataan…</translation>
    </message>
    <message>
        <source>One answer for every channel of a must-answer issue</source>
        <translation>Satu jawaban untuk semua kanal dari isu yang wajib dijawab</translation>
    </message>
    <message>
        <source>Owner…</source>
        <translation>Penanggung jawab…</translation>
    </message>
    <message>
        <source>Who answers for the issue</source>
        <translation>Siapa yang bertanggung jawab menjawab isu ini</translation>
    </message>
    <message>
        <source>Title…</source>
        <translation>Judul…</translation>
    </message>
    <message>
        <source>Name the issue (empty: the automatic title)</source>
        <translation>Beri nama isu (kosongkan untuk memakai judul otomatis)</translation>
    </message>
    <message>
        <source>Deadline…</source>
        <translation>Tenggat…</translation>
    </message>
    <message>
        <source>Move the must-answer deadline (supervisors)</source>
        <translation>Ubah tenggat wajib jawab (supervisor)</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <source>Close or reopen the issue</source>
        <translation>Tutup atau buka kembali isu</translation>
    </message>
    <message>
        <source>Merge</source>
        <translation>Gabungkan</translation>
    </message>
    <message>
        <source>Merge the issues selected in the list</source>
        <translation>Gabungkan isu yang dipilih di daftar</translation>
    </message>
    <message>
        <source>Selected items:</source>
        <translation>Pesan terpilih:</translation>
    </message>
    <message>
        <source>Split items…</source>
        <translation>Pisahkan pesan…</translation>
    </message>
    <message>
        <source>Take the selected items out into a new issue, kept apart from this one</source>
        <translation>Pindahkan pesan yang dipilih ke isu baru yang dipisahkan dari isu ini</translation>
    </message>
    <message>
        <source>Move items…</source>
        <translation>Pindahkan pesan…</translation>
    </message>
    <message>
        <source>Move the selected items to another issue</source>
        <translation>Pindahkan pesan yang dipilih ke isu lain</translation>
    </message>
    <message>
        <source>Detach items</source>
        <translation>Lepaskan pesan</translation>
    </message>
    <message>
        <source>Take the selected items out of any issue</source>
        <translation>Keluarkan pesan yang dipilih dari isu mana pun</translation>
    </message>
    <message>
        <source>Key opinion leader…</source>
        <translation>Tokoh kunci (KOL)…</translation>
    </message>
    <message>
        <source>Mark or unmark the selected item&apos;s author</source>
        <translation>Tandai atau hapus tanda penulis pesan yang dipilih</translation>
    </message>
    <message>
        <source>Export brief…</source>
        <translation>Ekspor ringkasan…</translation>
    </message>
    <message>
        <source>The issue brief for leadership, as an HTML file</source>
        <translation>Ringkasan isu untuk pimpinan, sebagai berkas HTML</translation>
    </message>
    <message>
        <source>Reopen</source>
        <translation>Buka kembali</translation>
    </message>
    <message>
        <source>level 1: %1 · level 2: %2 · level 3: %3 · must answer: %4</source>
        <translation>tingkat 1: %1 · tingkat 2: %2 · tingkat 3: %3 · wajib dijawab: %4</translation>
    </message>
    <message>
        <source>from %1 authors</source>
        <translation>dari %1 penulis</translation>
    </message>
    <message>
        <source>No issues on the radar for this period.</source>
        <translation>Tidak ada isu di radar untuk periode ini.</translation>
    </message>
    <message>
        <source>Acknowledged.</source>
        <translation>Ditandai sudah dilihat.</translation>
    </message>
    <message>
        <source>Owner set.</source>
        <translation>Penanggung jawab ditetapkan.</translation>
    </message>
    <message>
        <source>Deadline moved.</source>
        <translation>Tenggat diubah.</translation>
    </message>
    <message>
        <source>Issue closed.</source>
        <translation>Isu ditutup.</translation>
    </message>
    <message>
        <source>Issue reopened.</source>
        <translation>Isu dibuka kembali.</translation>
    </message>
    <message>
        <source>Merged into issue #%1.</source>
        <translation>Digabungkan ke isu #%1.</translation>
    </message>
    <message>
        <source>%1 items split from issue #%2 into issue #%3.</source>
        <translation>%1 pesan dipisahkan dari isu #%2 menjadi isu #%3.</translation>
    </message>
    <message>
        <source>Title set.</source>
        <translation>Judul ditetapkan.</translation>
    </message>
    <message>
        <source>The issue has its automatic title again.</source>
        <translation>Isu kembali memakai judul otomatis.</translation>
    </message>
    <message>
        <source>%1 items moved to issue #%2.</source>
        <translation>%1 pesan dipindahkan ke isu #%2.</translation>
    </message>
    <message>
        <source>%1 items taken out of their issue.</source>
        <translation>%1 pesan dikeluarkan dari isunya.</translation>
    </message>
    <message>
        <source>Marked as a key opinion leader.</source>
        <translation>Ditandai sebagai tokoh kunci (KOL).</translation>
    </message>
    <message>
        <source>No longer a key opinion leader.</source>
        <translation>Tidak lagi ditandai sebagai tokoh kunci (KOL).</translation>
    </message>
    <message>
        <source>Brief written to %1.</source>
        <translation>Ringkasan disimpan di %1.</translation>
    </message>
    <message>
        <source>Only a must-answer issue gets one statement for every channel.</source>
        <translation>Hanya isu yang wajib dijawab yang mendapat satu pernyataan untuk semua kanal.</translation>
    </message>
    <message>
        <source>(nobody)</source>
        <translation>(tidak ada)</translation>
    </message>
    <message>
        <source>Me (%1)</source>
        <translation>Saya (%1)</translation>
    </message>
    <message>
        <source>Who answers for issue #%1?</source>
        <translation>Siapa yang bertanggung jawab menjawab isu #%1?</translation>
    </message>
    <message>
        <source>Select at least two issues in the list to merge them.</source>
        <translation>Pilih sedikitnya dua isu di daftar untuk menggabungkannya.</translation>
    </message>
    <message>
        <source>There is no other open issue to move the items to.</source>
        <translation>Tidak ada isu terbuka lain sebagai tujuan pemindahan pesan.</translation>
    </message>
    <message>
        <source>Move items</source>
        <translation>Pindahkan pesan</translation>
    </message>
    <message>
        <source>Move %1 items to:</source>
        <translation>Pindahkan %1 pesan ke:</translation>
    </message>
    <message>
        <source>Split the issue</source>
        <translation>Pisahkan isu</translation>
    </message>
    <message>
        <source>Take %1 items out of issue #%2 into a new issue, named (optional):</source>
        <translation>Pindahkan %1 pesan dari isu #%2 ke isu baru dengan judul (opsional):</translation>
    </message>
    <message>
        <source>Issue title</source>
        <translation>Judul isu</translation>
    </message>
    <message>
        <source>Title of issue #%1 (empty: the automatic title):</source>
        <translation>Judul isu #%1 (kosongkan untuk memakai judul otomatis):</translation>
    </message>
    <message>
        <source>This item has no known author.</source>
        <translation>Penulis pesan ini tidak diketahui.</translation>
    </message>
    <message>
        <source>Key opinion leader</source>
        <translation>Tokoh kunci (KOL)</translation>
    </message>
    <message>
        <source>%1 is marked as a key opinion leader. Take the mark off?</source>
        <translation>%1 ditandai sebagai tokoh kunci (KOL). Hapus tanda ini?</translation>
    </message>
    <message>
        <source>Mark %1 as a key opinion leader, as:</source>
        <translation>Tandai %1 sebagai tokoh kunci (KOL), sebagai:</translation>
    </message>
    <message>
        <source>Export the issue brief</source>
        <translation>Ekspor ringkasan isu</translation>
    </message>
    <message>
        <source>Web page (*.html)</source>
        <translation>Halaman web (*.html)</translation>
    </message>
    <message>
        <source>Open the conversation</source>
        <translation>Buka percakapan</translation>
    </message>
    <message>
        <source>journalist</source>
        <translation>jurnalis</translation>
    </message>
    <message>
        <source>official</source>
        <translation>pejabat</translation>
    </message>
    <message>
        <source>influencer</source>
        <translation>pemengaruh (influencer)</translation>
    </message>
    <message>
        <source>media</source>
        <translation>media</translation>
    </message>
</context>
<context>
    <name>RadarSettingsPage</name>
    <message>
        <source>Grouping window</source>
        <translation>Jendela pengelompokan</translation>
    </message>
    <message>
        <source>hours</source>
        <translation>jam</translation>
    </message>
    <message>
        <source>Messages are grouped only with messages created within this many hours of them.</source>
        <translation>Pesan hanya dikelompokkan dengan pesan yang dibuat dalam rentang jam ini darinya.</translation>
    </message>
    <message>
        <source>Horizon</source>
        <translation>Cakrawala</translation>
    </message>
    <message>
        <source>days</source>
        <translation>hari</translation>
    </message>
    <message>
        <source>Messages older than this when first seen are history: not grouped into issues.</source>
        <translation>Pesan yang lebih lama dari ini saat pertama terlihat adalah riwayat: tidak dikelompokkan menjadi isu.</translation>
    </message>
    <message>
        <source>Issue: messages</source>
        <translation>Isu: pesan</translation>
    </message>
    <message>
        <source>messages</source>
        <translation>pesan</translation>
    </message>
    <message>
        <source>A group becomes an issue (level 1) with at least this many counted messages...</source>
        <translation>Sebuah kelompok menjadi isu (level 1) dengan paling sedikit sebanyak ini pesan terhitung...</translation>
    </message>
    <message>
        <source>Issue: authors</source>
        <translation>Isu: penulis</translation>
    </message>
    <message>
        <source>authors</source>
        <translation>penulis</translation>
    </message>
    <message>
        <source>...and at least this many distinct authors.</source>
        <translation>...dan paling sedikit sebanyak ini penulis berbeda.</translation>
    </message>
    <message>
        <source>Public interest: authors</source>
        <translation>Kepentingan publik: penulis</translation>
    </message>
    <message>
        <source>Level 3 (public interest) with this many distinct authors within the hours below...</source>
        <translation>Level 3 (kepentingan publik) dengan sebanyak ini penulis berbeda dalam jam di bawah...</translation>
    </message>
    <message>
        <source>Public interest: within</source>
        <translation>Kepentingan publik: dalam</translation>
    </message>
    <message>
        <source>...counted over this many hours...</source>
        <translation>...dihitung selama sebanyak ini jam...</translation>
    </message>
    <message>
        <source>Public interest: channels</source>
        <translation>Kepentingan publik: kanal</translation>
    </message>
    <message>
        <source>channels</source>
        <translation>kanal</translation>
    </message>
    <message>
        <source>...on at least this many channels.</source>
        <translation>...di paling sedikit sebanyak ini kanal.</translation>
    </message>
    <message>
        <source>Public interest: engagement</source>
        <translation>Kepentingan publik: interaksi</translation>
    </message>
    <message>
        <source>likes, shares and replies</source>
        <translation>suka, bagikan, dan balasan</translation>
    </message>
    <message>
        <source>Or level 3 when likes, shares and replies together reach this (0: never by engagement).</source>
        <translation>Atau level 3 bila suka, bagikan, dan balasan bersama-sama mencapai angka ini (0: tidak pernah karena interaksi).</translation>
    </message>
    <message>
        <source>KOL by followers</source>
        <translation>KOL menurut pengikut</translation>
    </message>
    <message>
        <source>followers</source>
        <translation>pengikut</translation>
    </message>
    <message>
        <source>Authors with this many followers count as key opinion leaders for levels even when not in the registry (0: only the registry).</source>
        <translation>Penulis dengan sebanyak ini pengikut dihitung sebagai tokoh kunci untuk level meski tidak ada di daftar (0: hanya daftar).</translation>
    </message>
    <message>
        <source>Answer deadline</source>
        <translation>Tenggat jawaban</translation>
    </message>
    <message>
        <source>minutes</source>
        <translation>menit</translation>
    </message>
    <message>
        <source>A must-answer issue is due this many minutes after it reaches level 3.</source>
        <translation>Isu yang wajib dijawab jatuh tempo sebanyak ini menit setelah mencapai level 3.</translation>
    </message>
    <message>
        <source>Velocity window</source>
        <translation>Jendela kecepatan</translation>
    </message>
    <message>
        <source>Velocity (messages per hour) is counted over this many hours.</source>
        <translation>Kecepatan (pesan per jam) dihitung selama sebanyak ini jam.</translation>
    </message>
    <message>
        <source>Flood: accounts</source>
        <translation>Banjir pesan: akun</translation>
    </message>
    <message>
        <source>accounts</source>
        <translation>akun</translation>
    </message>
    <message>
        <source>The same text from this many low-follower accounts is a flood, kept out of the counts.</source>
        <translation>Teks yang sama dari sebanyak ini akun berpengikut sedikit adalah banjir pesan, tidak ikut dihitung.</translation>
    </message>
    <message>
        <source>Flood: low-follower</source>
        <translation>Banjir pesan: pengikut sedikit</translation>
    </message>
    <message>
        <source>followers at most</source>
        <translation>pengikut paling banyak</translation>
    </message>
    <message>
        <source>Accounts with at most this many followers count as low-follower for floods.</source>
        <translation>Akun dengan paling banyak sebanyak ini pengikut dihitung berpengikut sedikit untuk banjir pesan.</translation>
    </message>
    <message>
        <source>Suggest KOL: followers</source>
        <translation>Sarankan KOL: pengikut</translation>
    </message>
    <message>
        <source>Authors with this many followers are suggested as key opinion leaders.</source>
        <translation>Penulis dengan sebanyak ini pengikut disarankan sebagai tokoh kunci.</translation>
    </message>
    <message>
        <source>Suggest KOL: reach</source>
        <translation>Sarankan KOL: jangkauan</translation>
    </message>
    <message>
        <source>Authors whose recent messages drew this much engagement are suggested as key opinion leaders (0: never by reach).</source>
        <translation>Penulis yang pesan terbarunya menarik interaksi sebanyak ini disarankan sebagai tokoh kunci (0: tidak pernah karena jangkauan).</translation>
    </message>
    <message>
        <source>Generic words</source>
        <translation>Kata umum</translation>
    </message>
    <message>
        <source>words, separated by commas</source>
        <translation>kata, dipisahkan koma</translation>
    </message>
    <message>
        <source>Words that never tie messages together (the institution&apos;s own names), besides the lexicon&apos;s.</source>
        <translation>Kata yang tidak pernah mengikat pesan menjadi satu (nama-nama instansi sendiri), selain yang ada di leksikon.</translation>
    </message>
    <message>
        <source>Generic hashtags</source>
        <translation>Tagar umum</translation>
    </message>
    <message>
        <source>hashtags, separated by commas</source>
        <translation>tagar, dipisahkan koma</translation>
    </message>
    <message>
        <source>Hashtags that never tie messages together (the institution&apos;s own campaigns), besides the lexicon&apos;s.</source>
        <translation>Tagar yang tidak pernah mengikat pesan menjadi satu (kampanye instansi sendiri), selain yang ada di leksikon.</translation>
    </message>
    <message>
        <source>a whole number</source>
        <translation>bilangan bulat</translation>
    </message>
    <message>
        <source>a number</source>
        <translation>angka</translation>
    </message>
    <message>
        <source>“%1” must be %2, not “%3”.</source>
        <translation>“%1” harus %2, bukan “%3”.</translation>
    </message>
    <message>
        <source>0 or more (0 turns it off)</source>
        <translation>0 atau lebih (0 mematikannya)</translation>
    </message>
    <message>
        <source>above zero</source>
        <translation>di atas nol</translation>
    </message>
    <message>
        <source>“%1” must be %2.</source>
        <translation>“%1” harus %2.</translation>
    </message>
    <message>
        <source>When messages become an issue, and when an issue reaches level 3 (public interest). Saved thresholds apply to every desk using this cache; open issues are re-assessed at once.</source>
        <translation>Kapan pesan menjadi isu, dan kapan isu mencapai level 3 (kepentingan publik). Ambang yang disimpan berlaku untuk setiap meja yang memakai cache ini; isu terbuka langsung dinilai ulang.</translation>
    </message>
    <message>
        <source>Only a supervisor or an administrator can change these thresholds; you can read them.</source>
        <translation>Hanya supervisor atau administrator yang dapat mengubah ambang ini; Anda dapat membacanya.</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Simpan</translation>
    </message>
    <message>
        <source>Fill in the defaults</source>
        <translation>Isi dengan nilai bawaan</translation>
    </message>
    <message>
        <source>Key opinion leaders…</source>
        <translation>Tokoh kunci (KOL)…</translation>
    </message>
    <message>
        <source>The defaults are filled in; Save keeps them.</source>
        <translation>Nilai bawaan sudah diisi; Simpan untuk menyimpannya.</translation>
    </message>
    <message>
        <source>Nothing changed.</source>
        <translation>Tidak ada yang berubah.</translation>
    </message>
    <message>
        <source>Saving and re-assessing the open issues…</source>
        <translation>Menyimpan dan menilai ulang isu terbuka…</translation>
    </message>
    <message>
        <source>Saved. The open issues were re-assessed with the new thresholds.</source>
        <translation>Tersimpan. Isu terbuka telah dinilai ulang dengan ambang baru.</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Contact center agent</source>
        <translation>Agen pusat layanan</translation>
    </message>
    <message>
        <source>Social media officer</source>
        <translation>Petugas media sosial</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <source>Administrator</source>
        <translation>Administrator</translation>
    </message>
    <message>
        <source>Settings</source>
        <translation>Pengaturan</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>User</source>
        <translation>Pengguna</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>Tampilan</translation>
    </message>
    <message>
        <source>Notifications</source>
        <translation>Notifikasi</translation>
    </message>
    <message>
        <source>Shortcuts</source>
        <translation>Pintasan</translation>
    </message>
    <message>
        <source>Issue radar</source>
        <translation>Radar isu</translation>
    </message>
    <message>
        <source>Team hub</source>
        <translation>Hub tim</translation>
    </message>
</context>
<context>
    <name>ShortcutSheet</name>
    <message>
        <source>Keyboard shortcuts</source>
        <translation>Pintasan papan ketik</translation>
    </message>
    <message>
        <source>Keys</source>
        <translation>Tombol</translation>
    </message>
    <message>
        <source>Command</source>
        <translation>Perintah</translation>
    </message>
</context>
<context>
    <name>Shortcuts</name>
    <message>
        <source>Next item</source>
        <translation>Pesan berikutnya</translation>
    </message>
    <message>
        <source>Previous item</source>
        <translation>Pesan sebelumnya</translation>
    </message>
    <message>
        <source>Open the conversation</source>
        <translation>Buka percakapan</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Balas</translation>
    </message>
    <message>
        <source>Assign…</source>
        <translation>Tugaskan…</translation>
    </message>
    <message>
        <source>Promote (your team&apos;s judgement)</source>
        <translation>Promosi (penilaian tim Anda)</translation>
    </message>
    <message>
        <source>Protect (your team&apos;s judgement)</source>
        <translation>Proteksi (penilaian tim Anda)</translation>
    </message>
    <message>
        <source>Escalate to a supervisor, priority up</source>
        <translation>Eskalasi ke supervisor, naikkan prioritas</translation>
    </message>
    <message>
        <source>Add a note…</source>
        <translation>Tambah catatan…</translation>
    </message>
    <message>
        <source>Add a label…</source>
        <translation>Tambah label…</translation>
    </message>
    <message>
        <source>Close the conversation</source>
        <translation>Tutup percakapan</translation>
    </message>
    <message>
        <source>Snooze…</source>
        <translation>Tunda…</translation>
    </message>
    <message>
        <source>Hand off to the other team…</source>
        <translation>Serahkan ke tim lain…</translation>
    </message>
    <message>
        <source>Mark read or unread</source>
        <translation>Tandai sudah atau belum dibaca</translation>
    </message>
    <message>
        <source>Search</source>
        <translation>Cari</translation>
    </message>
    <message>
        <source>Back to the list</source>
        <translation>Kembali ke daftar</translation>
    </message>
    <message>
        <source>Reload the list</source>
        <translation>Muat ulang daftar</translation>
    </message>
    <message>
        <source>Supervisor&apos;s view</source>
        <translation>Tampilan supervisor</translation>
    </message>
    <message>
        <source>Issue radar</source>
        <translation>Radar isu</translation>
    </message>
    <message>
        <source>Send the reply</source>
        <translation>Kirim balasan</translation>
    </message>
    <message>
        <source>Show the keyboard shortcuts</source>
        <translation>Tampilkan pintasan papan ketik</translation>
    </message>
</context>
<context>
    <name>ShortcutsPage</name>
    <message>
        <source>Command</source>
        <translation>Perintah</translation>
    </message>
    <message>
        <source>Key</source>
        <translation>Tombol</translation>
    </message>
    <message>
        <source>Also</source>
        <translation>Juga</translation>
    </message>
    <message>
        <source>Press the new key. Cleared: back to the default (%1).</source>
        <translation>Tekan tombol baru. Jika dikosongkan: kembali ke bawaan (%1).</translation>
    </message>
    <message>
        <source>Restore the defaults</source>
        <translation>Kembalikan ke bawaan</translation>
    </message>
    <message>
        <source>“%1” is back to its default key.</source>
        <translation>“%1” kembali ke tombol bawaannya.</translation>
    </message>
    <message>
        <source>%1 is already the key of “%2”. Choose another key, or change that command first.</source>
        <translation>%1 sudah menjadi tombol untuk “%2”. Pilih tombol lain, atau ubah perintah itu terlebih dahulu.</translation>
    </message>
    <message>
        <source>Every command has its default key again.</source>
        <translation>Semua perintah kembali ke tombol bawaannya.</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>Inbox</source>
        <translation>Kotak Masuk</translation>
    </message>
    <message>
        <source>Issues</source>
        <translation>Isu</translation>
    </message>
    <message>
        <source>Mentions</source>
        <translation>Sebutan</translation>
    </message>
    <message>
        <source>Saved searches</source>
        <translation>Pencarian tersimpan</translation>
    </message>
    <message>
        <source>Teams</source>
        <translation>Tim</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <source>Channels</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Accounts</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>Leaders&apos; accounts</source>
        <translation>Akun pimpinan</translation>
    </message>
    <message>
        <source>%1 issues must be answered</source>
        <translation>%1 isu wajib dijawab</translation>
    </message>
    <message>
        <source>%1 open or pending conversations</source>
        <translation>%1 percakapan terbuka atau menunggu</translation>
    </message>
</context>
<context>
    <name>StackedBarChart</name>
    <message>
        <source>Total: %1</source>
        <translation>Total: %1</translation>
    </message>
</context>
<context>
    <name>StatementDialog</name>
    <message>
        <source>planned</source>
        <translation>terencana</translation>
    </message>
    <message>
        <source>Statement for every channel</source>
        <translation>Pernyataan untuk semua kanal</translation>
    </message>
    <message>
        <source>The statement, in full (mail and tickets get it whole)</source>
        <translation>Pernyataan lengkap (email dan tiket menerimanya utuh)</translation>
    </message>
    <message>
        <source>Optional: a short version for channels with a length limit</source>
        <translation>Opsional: versi singkat untuk kanal dengan batas panjang</translation>
    </message>
    <message>
        <source>Optional: a link to the full statement, added where the text is cut</source>
        <translation>Opsional: tautan ke pernyataan lengkap, ditambahkan bila teks dipotong</translation>
    </message>
    <message>
        <source>Statement:</source>
        <translation>Pernyataan:</translation>
    </message>
    <message>
        <source>Short version:</source>
        <translation>Versi singkat:</translation>
    </message>
    <message>
        <source>Link:</source>
        <translation>Tautan:</translation>
    </message>
    <message>
        <source>One text</source>
        <translation>Satu teks</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>Limit</source>
        <translation>Batas</translation>
    </message>
    <message>
        <source>Characters</source>
        <translation>Karakter</translation>
    </message>
    <message>
        <source>As it will read</source>
        <translation>Seperti yang akan terbaca</translation>
    </message>
    <message>
        <source>Note</source>
        <translation>Catatan</translation>
    </message>
    <message>
        <source>How each channel gets it</source>
        <translation>Yang diterima setiap kanal</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>Setujui</translation>
    </message>
    <message>
        <source>Supervisors approve the statement for every channel</source>
        <translation>Supervisor menyetujui pernyataan untuk semua kanal</translation>
    </message>
    <message>
        <source>Send to every channel</source>
        <translation>Kirim ke semua kanal</translation>
    </message>
    <message>
        <source>Queue one reply per channel and account in the outbox</source>
        <translation>Antrekan satu balasan per kanal dan akun di kotak keluar</translation>
    </message>
    <message>
        <source>Withdraw</source>
        <translation>Tarik</translation>
    </message>
    <message>
        <source>Close</source>
        <translation>Tutup</translation>
    </message>
    <message>
        <source>State</source>
        <translation>Status</translation>
    </message>
    <message>
        <source>Sent</source>
        <translation>Terkirim</translation>
    </message>
    <message>
        <source>Progress per channel</source>
        <translation>Kemajuan per kanal</translation>
    </message>
    <message>
        <source>Issue #%1 no longer exists.</source>
        <translation>Isu #%1 sudah tidak ada.</translation>
    </message>
    <message>
        <source>answer by %1</source>
        <translation>jawab paling lambat %1</translation>
    </message>
    <message>
        <source>Not saved yet. Saving the draft asks a supervisor to approve it.</source>
        <translation>Belum disimpan. Menyimpan draf berarti meminta persetujuan supervisor.</translation>
    </message>
    <message>
        <source>Draft, waiting for a supervisor&apos;s approval.</source>
        <translation>Draf, menunggu persetujuan supervisor.</translation>
    </message>
    <message>
        <source>Draft: read it, then approve it for every channel.</source>
        <translation>Draf: baca, lalu setujui untuk semua kanal.</translation>
    </message>
    <message>
        <source>Approved by %1: ready to send to every channel.</source>
        <translation>Disetujui oleh %1: siap dikirim ke semua kanal.</translation>
    </message>
    <message>
        <source>a supervisor</source>
        <translation>seorang supervisor</translation>
    </message>
    <message>
        <source>Sent out through the outbox; each channel&apos;s progress is below.</source>
        <translation>Dikirim melalui kotak keluar; kemajuan setiap kanal ada di bawah.</translation>
    </message>
    <message>
        <source>Nothing sent yet.</source>
        <translation>Belum ada yang dikirim.</translation>
    </message>
    <message>
        <source>no limit</source>
        <translation>tanpa batas</translation>
    </message>
    <message>
        <source>shortened to fit</source>
        <translation>dipersingkat agar muat</translation>
    </message>
    <message>
        <source>leader&apos;s account: waits for approval in the outbox</source>
        <translation>akun pimpinan: menunggu persetujuan di kotak keluar</translation>
    </message>
    <message>
        <source>%1 characters; %2 of %3 channels get it shortened</source>
        <translation>%1 karakter; %2 dari %3 kanal menerima versi singkat</translation>
    </message>
    <message>
        <source>Save draft</source>
        <translation>Simpan draf</translation>
    </message>
    <message>
        <source>Request approval</source>
        <translation>Minta persetujuan</translation>
    </message>
    <message>
        <source>Statement saved; a supervisor approves it.</source>
        <translation>Pernyataan disimpan; menunggu persetujuan supervisor.</translation>
    </message>
    <message>
        <source>Statement saved.</source>
        <translation>Pernyataan disimpan.</translation>
    </message>
    <message>
        <source>Statement approved.</source>
        <translation>Pernyataan disetujui.</translation>
    </message>
    <message>
        <source>Statement queued on every channel.</source>
        <translation>Pernyataan masuk antrean di semua kanal.</translation>
    </message>
    <message>
        <source>Statement withdrawn.</source>
        <translation>Pernyataan ditarik.</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Working…</source>
        <translation>Sedang bekerja…</translation>
    </message>
    <message>
        <source>Offline: no account can be reached</source>
        <translation>Luring: tidak ada akun yang dapat dijangkau</translation>
    </message>
    <message>
        <source>%1 accounts</source>
        <translation>%1 akun</translation>
    </message>
    <message>
        <source>%1 with problems</source>
        <translation>%1 bermasalah</translation>
    </message>
    <message>
        <source>last sync %1</source>
        <translation>sinkronisasi terakhir %1</translation>
    </message>
    <message>
        <source>not synced yet</source>
        <translation>belum disinkronkan</translation>
    </message>
    <message>
        <source>disabled</source>
        <translation>nonaktif</translation>
    </message>
    <message>
        <source>unreachable: %1</source>
        <translation>tidak terjangkau: %1</translation>
    </message>
    <message>
        <source>failing: %1</source>
        <translation>gagal: %1</translation>
    </message>
    <message>
        <source>(%1 problems since the last sync)</source>
        <translation>(%1 masalah sejak sinkronisasi terakhir)</translation>
    </message>
    <message>
        <source>OK</source>
        <translation>Lancar</translation>
    </message>
    <message>
        <source>never</source>
        <translation>belum pernah</translation>
    </message>
    <message>
        <source>Click for every account&apos;s state.</source>
        <translation>Klik untuk melihat keadaan setiap akun.</translation>
    </message>
    <message>
        <source>Offline: no account can be reached (network errors)</source>
        <translation>Luring: tidak ada akun yang dapat dijangkau (galat jaringan)</translation>
    </message>
    <message>
        <source>%1 of %2 accounts have problems</source>
        <translation>%1 dari %2 akun bermasalah</translation>
    </message>
    <message>
        <source>Every account syncs</source>
        <translation>Semua akun tersinkronkan</translation>
    </message>
    <message>
        <source>Outbox: %1 queued</source>
        <translation>Kotak keluar: %1 dalam antrean</translation>
    </message>
    <message>
        <source>%1 awaiting approval</source>
        <translation>%1 menunggu persetujuan</translation>
    </message>
    <message>
        <source>%1 failed</source>
        <translation>%1 gagal</translation>
    </message>
</context>
<context>
    <name>SupervisorPage</name>
    <message>
        <source>agent</source>
        <translation>agen</translation>
    </message>
    <message>
        <source>social media officer</source>
        <translation>petugas media sosial</translation>
    </message>
    <message>
        <source>supervisor</source>
        <translation>supervisor</translation>
    </message>
    <message>
        <source>administrator</source>
        <translation>administrator</translation>
    </message>
    <message>
        <source>Supervisor</source>
        <translation>Supervisor</translation>
    </message>
    <message>
        <source>Items of the chosen person or team</source>
        <translation>Pesan milik orang atau tim yang dipilih</translation>
    </message>
    <message>
        <source>Choose a person to see their items, or a team for its unassigned ones.</source>
        <translation>Pilih seseorang untuk melihat pesannya, atau sebuah tim untuk melihat pesan yang belum ditugaskan.</translation>
    </message>
    <message>
        <source>Include closed and snoozed</source>
        <translation>Sertakan yang ditutup dan ditunda</translation>
    </message>
    <message>
        <source>Drag items onto a person to reassign them, or right-click: Reassign to…</source>
        <translation>Seret pesan ke seseorang untuk mengalihkan tugasnya, atau klik kanan: Alihkan ke…</translation>
    </message>
    <message>
        <source>Assignments</source>
        <translation>Penugasan</translation>
    </message>
    <message>
        <source>Account</source>
        <translation>Akun</translation>
    </message>
    <message>
        <source>Reply</source>
        <translation>Balasan</translation>
    </message>
    <message>
        <source>In reply to</source>
        <translation>Membalas</translation>
    </message>
    <message>
        <source>Written by</source>
        <translation>Ditulis oleh</translation>
    </message>
    <message>
        <source>Waiting</source>
        <translation>Menunggu</translation>
    </message>
    <message>
        <source>Replies on leaders&apos; accounts awaiting approval</source>
        <translation>Balasan di akun pimpinan yang menunggu persetujuan</translation>
    </message>
    <message>
        <source>Approve</source>
        <translation>Setujui</translation>
    </message>
    <message>
        <source>Queue the selected replies for sending</source>
        <translation>Antrekan balasan yang dipilih untuk dikirim</translation>
    </message>
    <message>
        <source>Reject…</source>
        <translation>Tolak…</translation>
    </message>
    <message>
        <source>Cancel the selected replies, with a note saying why</source>
        <translation>Batalkan balasan yang dipilih, dengan catatan alasannya</translation>
    </message>
    <message>
        <source>Item</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Author</source>
        <translation>Penulis</translation>
    </message>
    <message>
        <source>Channel</source>
        <translation>Kanal</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>Tim</translation>
    </message>
    <message>
        <source>Suggested</source>
        <translation>Saran</translation>
    </message>
    <message>
        <source>Why</source>
        <translation>Alasan</translation>
    </message>
    <message>
        <source>Promote and Protect suggestions to confirm</source>
        <translation>Saran Promosi dan Proteksi yang perlu dikonfirmasi</translation>
    </message>
    <message>
        <source>Confirm</source>
        <translation>Konfirmasi</translation>
    </message>
    <message>
        <source>Record the suggestion as the team&apos;s judgement</source>
        <translation>Catat saran sebagai penilaian tim</translation>
    </message>
    <message>
        <source>Override</source>
        <translation>Ganti</translation>
    </message>
    <message>
        <source>Record the other judgement than the one suggested</source>
        <translation>Catat penilaian yang berlawanan dengan saran</translation>
    </message>
    <message>
        <source>Replies awaiting approval</source>
        <translation>Balasan menunggu persetujuan</translation>
    </message>
    <message>
        <source>Tags to confirm</source>
        <translation>Tag yang perlu dikonfirmasi</translation>
    </message>
    <message>
        <source>Items per channel and day</source>
        <translation>Pesan per kanal per hari</translation>
    </message>
    <message>
        <source>Promote vs Protect per team</source>
        <translation>Promosi dan Proteksi per tim</translation>
    </message>
    <message>
        <source>First response time</source>
        <translation>Waktu tanggapan pertama</translation>
    </message>
    <message>
        <source>Resolution time</source>
        <translation>Waktu penyelesaian</translation>
    </message>
    <message>
        <source>Channel of the response time charts</source>
        <translation>Kanal untuk grafik waktu tanggapan</translation>
    </message>
    <message>
        <source>All channels</source>
        <translation>Semua kanal</translation>
    </message>
    <message>
        <source>Response times (median and 90th percentile) for:</source>
        <translation>Waktu tanggapan (median dan persentil ke-90) untuk:</translation>
    </message>
    <message>
        <source>Charts</source>
        <translation>Grafik</translation>
    </message>
    <message>
        <source>Review queue</source>
        <translation>Antrean tinjauan</translation>
    </message>
    <message>
        <source>Items of %1</source>
        <translation>Pesan milik %1</translation>
    </message>
    <message>
        <source>every team</source>
        <translation>semua tim</translation>
    </message>
    <message>
        <source>Unassigned items of %1</source>
        <translation>Pesan %1 yang belum ditugaskan</translation>
    </message>
    <message>
        <source>Nothing is selected</source>
        <translation>Tidak ada yang dipilih</translation>
    </message>
    <message>
        <source>%1 conversations reassigned to %2</source>
        <translation>%1 percakapan dialihkan kepada %2</translation>
    </message>
    <message>
        <source>%1 conversations unassigned</source>
        <translation>Penugasan %1 percakapan dibatalkan</translation>
    </message>
    <message>
        <source>Reassign to…</source>
        <translation>Alihkan ke…</translation>
    </message>
    <message>
        <source>Nobody (unassigned)</source>
        <translation>Tidak ada (belum ditugaskan)</translation>
    </message>
    <message>
        <source>Open in the inbox</source>
        <translation>Buka di kotak masuk</translation>
    </message>
    <message>
        <source>Replies awaiting approval (%1)</source>
        <translation>Balasan menunggu persetujuan (%1)</translation>
    </message>
    <message>
        <source>Tags to confirm (%1)</source>
        <translation>Tag yang perlu dikonfirmasi (%1)</translation>
    </message>
    <message>
        <source>Choose a reply to approve</source>
        <translation>Pilih balasan yang akan disetujui</translation>
    </message>
    <message>
        <source>%1 replies approved and queued for sending</source>
        <translation>%1 balasan disetujui dan masuk antrean pengiriman</translation>
    </message>
    <message>
        <source>Choose a reply to reject</source>
        <translation>Pilih balasan yang akan ditolak</translation>
    </message>
    <message>
        <source>Reject the reply</source>
        <translation>Tolak balasan</translation>
    </message>
    <message>
        <source>Why (the writer sees this note):</source>
        <translation>Alasan (penulis balasan akan melihat catatan ini):</translation>
    </message>
    <message>
        <source>%1 replies rejected</source>
        <translation>%1 balasan ditolak</translation>
    </message>
    <message>
        <source>Choose a suggestion</source>
        <translation>Pilih sebuah saran</translation>
    </message>
    <message>
        <source>%1 suggestions confirmed</source>
        <translation>%1 saran dikonfirmasi</translation>
    </message>
    <message>
        <source>%1 suggestions overridden</source>
        <translation>%1 saran diganti</translation>
    </message>
    <message>
        <source>Day</source>
        <translation>Hari</translation>
    </message>
    <message>
        <source>Items</source>
        <translation>Pesan</translation>
    </message>
    <message>
        <source>Items tagged</source>
        <translation>Pesan bertag</translation>
    </message>
    <message>
        <source>Median</source>
        <translation>Median</translation>
    </message>
    <message>
        <source>90th percentile</source>
        <translation>Persentil ke-90</translation>
    </message>
    <message>
        <source>Day the conversation started</source>
        <translation>Hari percakapan dimulai</translation>
    </message>
    <message>
        <source>Time</source>
        <translation>Waktu</translation>
    </message>
    <message>
        <source>The supervisor&apos;s view is for supervisors and admins</source>
        <translation>Tampilan supervisor hanya untuk supervisor dan administrator</translation>
    </message>
</context>
<context>
    <name>TeamHubPage</name>
    <message>
        <source>kept in the keyring; empty: keep the stored one</source>
        <translation>disimpan di keyring; kosongkan untuk memakai yang tersimpan</translation>
    </message>
    <message>
        <source>Open the window on this hub (team mode) at the next start</source>
        <translation>Buka jendela pada hub ini (mode tim) saat mulai berikutnya</translation>
    </message>
    <message>
        <source>Try the connection</source>
        <translation>Coba sambungan</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Simpan</translation>
    </message>
    <message>
        <source>Forget this hub</source>
        <translation>Lupakan hub ini</translation>
    </message>
    <message>
        <source>In team mode this desk keeps a copy of what you may see on the team&apos;s hub, sends your actions to it and keeps working offline. The hub&apos;s sync workers read the platforms.</source>
        <translation>Dalam mode tim, meja kerja ini menyimpan salinan dari apa yang boleh Anda lihat di hub tim, mengirim tindakan Anda ke hub, dan tetap bekerja saat luring. Pekerja sinkronisasi hub yang membaca platform.</translation>
    </message>
    <message>
        <source>Hub address</source>
        <translation>Alamat hub</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>Login</translation>
    </message>
    <message>
        <source>Password</source>
        <translation>Kata sandi</translation>
    </message>
    <message>
        <source>Trying…</source>
        <translation>Mencoba…</translation>
    </message>
    <message>
        <source>Connected as %1.</source>
        <translation>Tersambung sebagai %1.</translation>
    </message>
    <message>
        <source>Saved. The window opens in team mode at the next start.</source>
        <translation>Tersimpan. Jendela akan terbuka dalam mode tim saat mulai berikutnya.</translation>
    </message>
    <message>
        <source>Saved; team mode is off.</source>
        <translation>Tersimpan; mode tim nonaktif.</translation>
    </message>
    <message>
        <source>Forgotten: the window opens on this desk&apos;s own cache.</source>
        <translation>Dilupakan: jendela akan terbuka pada cache meja kerja ini sendiri.</translation>
    </message>
</context>
<context>
    <name>TeamPanel</name>
    <message>
        <source>Promote</source>
        <translation>Promosi</translation>
    </message>
    <message>
        <source>Record this team&apos;s Promote judgement on the selection (P)</source>
        <translation>Catat penilaian Promosi tim ini pada pilihan (P)</translation>
    </message>
    <message>
        <source>Protect</source>
        <translation>Proteksi</translation>
    </message>
    <message>
        <source>Record this team&apos;s Protect judgement on the selection (X)</source>
        <translation>Catat penilaian Proteksi tim ini pada pilihan (X)</translation>
    </message>
    <message>
        <source>Hand off to %1…</source>
        <translation>Serahkan kepada %1…</translation>
    </message>
    <message>
        <source>Queue:</source>
        <translation>Antrean:</translation>
    </message>
</context>
<context>
    <name>TicketDialog</name>
    <message>
        <source>Create ticket</source>
        <translation>Buat tiket</translation>
    </message>
    <message>
        <source>Helpdesk account:</source>
        <translation>Akun helpdesk:</translation>
    </message>
    <message>
        <source>Subject:</source>
        <translation>Subjek:</translation>
    </message>
    <message>
        <source>Text:</source>
        <translation>Teks:</translation>
    </message>
    <message>
        <source>The ticket is created on the helpdesk when the outbox sends it; this conversation goes to the contact center, and a note on each names the other.</source>
        <translation>Tiket dibuat di helpdesk saat kotak keluar mengirimnya; percakapan ini dialihkan ke contact center, dan catatan di masing-masing menyebut yang lain.</translation>
    </message>
</context>
<context>
    <name>Tray</name>
    <message>
        <source>OmniInbox</source>
        <translation>OmniInbox</translation>
    </message>
    <message>
        <source>Show OmniInbox</source>
        <translation>Tampilkan OmniInbox</translation>
    </message>
    <message>
        <source>Needs answer</source>
        <translation>Perlu dijawab</translation>
    </message>
    <message>
        <source>Quit</source>
        <translation>Keluar</translation>
    </message>
    <message>
        <source>%1 unread in the last %2 days</source>
        <translation>%1 belum dibaca dalam %2 hari terakhir</translation>
    </message>
    <message>
        <source>%1 of yours waiting for an answer</source>
        <translation>%1 percakapan Anda menunggu jawaban</translation>
    </message>
    <message>
        <source>%1 issues must be answered</source>
        <translation>%1 isu wajib dijawab</translation>
    </message>
    <message>
        <source>Needs answer (%1 of yours)</source>
        <translation>Perlu dijawab (%1 milik Anda)</translation>
    </message>
    <message>
        <source>%1 new notifications</source>
        <translation>%1 notifikasi baru</translation>
    </message>
    <message>
        <source>%1 mentioned you in a note</source>
        <translation>%1 menyebut Anda dalam sebuah catatan</translation>
    </message>
    <message>
        <source>Someone</source>
        <translation>Seseorang</translation>
    </message>
    <message>
        <source>Assigned to you: %1</source>
        <translation>Ditugaskan kepada Anda: %1</translation>
    </message>
    <message>
        <source>a conversation</source>
        <translation>sebuah percakapan</translation>
    </message>
    <message>
        <source>An issue must be answered</source>
        <translation>Sebuah isu wajib dijawab</translation>
    </message>
    <message>
        <source>A reply could not be sent</source>
        <translation>Balasan gagal dikirim</translation>
    </message>
</context>
<context>
    <name>UserPage</name>
    <message>
        <source>No team</source>
        <translation>Tanpa tim</translation>
    </message>
    <message>
        <source>Administrators change roles.</source>
        <translation>Peran diubah oleh administrator.</translation>
    </message>
    <message>
        <source>Save</source>
        <translation>Simpan</translation>
    </message>
    <message>
        <source>Login</source>
        <translation>Nama login</translation>
    </message>
    <message>
        <source>Name</source>
        <translation>Nama</translation>
    </message>
    <message>
        <source>Role</source>
        <translation>Peran</translation>
    </message>
    <message>
        <source>Team</source>
        <translation>Tim</translation>
    </message>
    <message>
        <source>Saved.</source>
        <translation>Tersimpan.</translation>
    </message>
</context>
</TS>
