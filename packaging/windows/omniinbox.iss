; Inno Setup script: an installer for the one-folder bundle built on Windows with
;     .venv\Scripts\pyinstaller --noconfirm --clean --distpath dist --workpath build\pyinstaller packaging\omniinbox.spec
;     iscc /DAppVersion=0.1.0 packaging\windows\omniinbox.iss
; Output: dist\OmniInbox-<version>-setup.exe (per-user install by default, no administrator rights needed).

#ifndef AppVersion
  #define AppVersion "0.1.0"
#endif

[Setup]
AppId={{7D3E5B1A-6C2F-4B8E-9A41-0F6D2C8B9E17}
AppName=OmniInbox
AppVersion={#AppVersion}
AppPublisher=OmniInbox
DefaultDirName={autopf}\OmniInbox
DefaultGroupName=OmniInbox
PrivilegesRequired=lowest
PrivilegesRequiredOverridesAllowed=dialog
OutputDir=..\..\dist
OutputBaseFilename=OmniInbox-{#AppVersion}-setup
SetupIconFile=omniinbox.ico
UninstallDisplayIcon={app}\OmniInbox.exe
Compression=lzma2
SolidCompression=yes
WizardStyle=modern
ArchitecturesAllowed=x64compatible
ArchitecturesInstallIn64BitMode=x64compatible

[Languages]
Name: "english"; MessagesFile: "compiler:Default.isl"
Name: "indonesian"; MessagesFile: "compiler:Languages\Indonesian.isl"

[Tasks]
Name: "desktopicon"; Description: "{cm:CreateDesktopIcon}"; GroupDescription: "{cm:AdditionalIcons}"; Flags: unchecked

[Files]
Source: "..\..\dist\omniinbox\*"; DestDir: "{app}"; Flags: ignoreversion recursesubdirs createallsubdirs

[Icons]
Name: "{group}\OmniInbox"; Filename: "{app}\OmniInbox.exe"
Name: "{group}\OmniInbox (demo)"; Filename: "{app}\OmniInbox.exe"; Parameters: "--demo"
Name: "{group}\{cm:UninstallProgram,OmniInbox}"; Filename: "{uninstallexe}"
Name: "{autodesktop}\OmniInbox"; Filename: "{app}\OmniInbox.exe"; Tasks: desktopicon

[Run]
Filename: "{app}\OmniInbox.exe"; Description: "{cm:LaunchProgram,OmniInbox}"; Flags: nowait postinstall skipifsilent
